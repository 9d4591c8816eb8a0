/** What the engine may know about a recipient: the profile, preferences and presence, read in the job's transaction. */
import type { Brand, Channel, JsonValue } from '../../compiler/bundle/schema.ts';
import * as sql from '../db/sql.ts';
import { one, type SqlClient } from '../db/sql-client.ts';
import { type TenantSnapshot, type UserSnapshot, withTenant } from '../engine/index.ts';

/** The profile as `row_to_json` gives it (times as ISO strings), and its preference rows. */
interface ProfileJson {
  email: string | null;
  phone_number: string | null;
  push_tokens: string[] | null;
  locale: string | null;
  timezone: string | null;
  traits: Record<string, JsonValue> | null;
  sms_opt_out: boolean | null;
  last_active_at: string | null;
}
export interface ProfileColumns {
  profile: ProfileJson | null;
  prefs: { category: string; channel: Channel; allowed: boolean }[];
}

/** A direct recipient (`to: { email, phone_number }`) without a stored profile. */
export function recipientSnapshot(recipient: Record<string, unknown> | null): UserSnapshot {
  const r = recipient ?? {};
  return {
    id: null,
    email: typeof r.email === 'string' ? r.email : null,
    phone_number: typeof r.phone_number === 'string' ? r.phone_number : null,
    push_tokens: Array.isArray(r.push_tokens) ? (r.push_tokens as string[]) : [],
    locale: typeof r.locale === 'string' ? r.locale : null,
    timezone: typeof r.timezone === 'string' ? r.timezone : null,
    traits: {},
    lastActiveAt: null,
    preferences: {},
  };
}

/** The snapshot of a user from the profile columns (sql.ts PROFILE_COLUMNS); an unknown user has empty fields. */
export function userSnapshot(userId: string, { profile, prefs }: ProfileColumns): UserSnapshot {
  // Keyed by stored category names: a row written before ids were checked (`__proto__`) must stay a row.
  const preferences: UserSnapshot['preferences'] = Object.create(null);
  for (const p of prefs) (preferences[p.category] ??= Object.create(null) as UserSnapshot['preferences'][string])[p.channel] = p.allowed;
  return {
    id: userId,
    email: profile?.email ?? null,
    phone_number: profile?.phone_number ?? null,
    push_tokens: profile?.push_tokens ?? [],
    locale: profile?.locale ?? null,
    timezone: profile?.timezone ?? null,
    traits: profile?.traits ?? {},
    lastActiveAt: profile?.last_active_at ? Date.parse(profile.last_active_at) : null,
    preferences,
    smsOptOut: profile?.sms_opt_out ?? false,
  };
}

/** The run's tenant as the batch reads it with the run (sql.lockRunsWithUsers): null without one, or once deleted. */
export interface TenantColumns {
  tenant: { brand: Brand | null; default_preferences: { categories?: UserSnapshot['preferences'] } | null } | null;
}

// The engine's (the in-memory driver hands a scenario's tenant to it the same way); re-exported for the runtime's callers.
export { type TenantSnapshot, withTenant };

export function tenantSnapshot(tenantId: string | null | undefined, { tenant }: TenantColumns): TenantSnapshot | null {
  if (!tenantId || !tenant) return null;
  const preferences: UserSnapshot['preferences'] = Object.create(null);
  for (const [category, channels] of Object.entries(tenant.default_preferences?.categories ?? {})) {
    preferences[category] = Object.assign(Object.create(null) as UserSnapshot['preferences'][string], channels);
  }
  return { id: tenantId, brand: tenant.brand ?? {}, preferences };
}

export async function loadUserSnapshot(client: SqlClient, userId: string): Promise<UserSnapshot> {
  return userSnapshot(userId, (await one<ProfileColumns>(client, sql.userWithPreferences(userId)))!);
}
