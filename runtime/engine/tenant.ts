/**
 * A run's tenant (runtime/tenants) as both drivers hand it to the engine: the pg-boss driver reads it with the
 * run (execution/snapshot.ts), the in-memory driver from a scenario. Its default preferences sit between the
 * user's own choice and the category's default (resolvePreference); its brand is for renders only.
 */
import type { Brand } from '../../compiler/bundle/schema.ts';
import type { UserSnapshot } from './types.ts';

/** The tenant's brand values and default preferences, as a send needs them. */
export interface TenantSnapshot {
  id: string;
  brand: Brand;
  preferences: UserSnapshot['preferences'];
}

/** The user as the engine sees them in a run of `tenant`: its defaults between the category's and the user's own. */
export function withTenant(user: UserSnapshot, tenant: TenantSnapshot | null | undefined): UserSnapshot {
  return tenant && Object.keys(tenant.preferences).length ? { ...user, tenantPreferences: tenant.preferences } : user;
}
