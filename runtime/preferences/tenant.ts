/**
 * The tenant a preference-center link names (runtime/render/links.ts, signed): the page starts from its default
 * preferences, read as a send reads them (execution/snapshot.ts: tenantSnapshot, withTenant), so the page and
 * the next send of that tenant agree. The precedence itself is the engine's (resolvePreference), never here.
 */
import type { Brand, Bundle, Channel } from '../../compiler/bundle/schema.ts';
import { one, type SqlClient } from '../db/sql-client.ts';
import { resolvePreference, type UserSnapshot } from '../engine/index.ts';
import { tenantSnapshot, withTenant, type TenantSnapshot } from '../execution/snapshot.ts';
import * as sql from '../tenants/sql.ts';
import type { PreferenceChanges } from './save.ts';

export interface CenterTenant {
  snapshot: TenantSnapshot;
  /** How the page names the tenant ("Acme's default"): its name, else its brand's name, else null. */
  name: string | null;
}

/** The tenant as the page shows it, or null: no tenant in the link, or one deleted since (its defaults are gone). */
export async function loadCenterTenant(db: SqlClient, tenantId: string | undefined): Promise<CenterTenant | null> {
  if (!tenantId) return null;
  const row = await one<sql.TenantRow>(db, sql.tenantById(tenantId));
  if (!row) return null;
  const snapshot = tenantSnapshot(tenantId, { tenant: { brand: row.brand as Brand, default_preferences: row.default_preferences } });
  if (!snapshot) return null;
  const brandName = row.brand.name;
  return { snapshot, name: row.name?.trim() || (typeof brandName === 'string' && brandName.trim()) || null };
}

/** The user as the engine sees them in a run of `tenant` (none: as they are). */
export const userInTenant = (user: UserSnapshot, tenant: CenterTenant | null): UserSnapshot => withTenant(user, tenant?.snapshot ?? null);

/**
 * A save from a tenant's page, less the toggles left at that tenant's default. A user's choices are per user, not
 * per tenant: writing a toggle the user never touched would turn this tenant's default into their choice in every
 * other workspace (and freeze it against the tenant changing it). Whatever the user changed, and every toggle that
 * already was their choice, is written as before.
 */
export function withoutKeptTenantDefaults(changes: PreferenceChanges, bundle: Pick<Bundle, 'categories'>, user: UserSnapshot): PreferenceChanges {
  const kept: PreferenceChanges = Object.create(null);
  for (const [category, channels] of Object.entries(changes)) {
    for (const [channel, allowed] of Object.entries(channels) as [Channel, boolean][]) {
      const shown = resolvePreference(bundle, category, channel, user);
      if (shown.rule === 'tenant-default' && shown.allowed === allowed) continue;
      (kept[category] ??= Object.create(null) as PreferenceChanges[string])[channel] = allowed;
    }
  }
  return kept;
}
