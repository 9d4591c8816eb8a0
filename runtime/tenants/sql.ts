/**
 * Every statement of tenants, as pure functions returning text and values (db/sql.ts's way). Nothing here
 * executes. The tenant columns of runs, messages and the inbox are written by db/sql.ts's own statements.
 */
import type { Statement } from '../db/sql-client.ts';

const s = (text: string, ...values: unknown[]): Statement => ({ text, values });
const json = (value: unknown) => (value === undefined ? null : JSON.stringify(value));

export interface TenantRow {
  id: string;
  name: string | null;
  brand: Record<string, unknown>;
  default_preferences: { categories?: Record<string, Record<string, boolean>> };
  properties: Record<string, unknown>;
  created_at: Date;
  updated_at: Date;
}

/** What a PUT sets: a field given replaces the stored one, a field left out (undefined) keeps it. */
export interface TenantPatch {
  name?: string | null;
  brand?: Record<string, unknown>;
  defaultPreferences?: Record<string, unknown>;
  properties?: Record<string, unknown>;
}

/** Creates or updates a tenant; returns it and whether it is new. */
export const upsertTenant = (id: string, p: TenantPatch) =>
  s(
    `INSERT INTO herald.tenants (id, name, brand, default_preferences, properties)
     VALUES ($1, $2, COALESCE($3::jsonb, '{}'), COALESCE($4::jsonb, '{}'), COALESCE($5::jsonb, '{}'))
     ON CONFLICT (id) DO UPDATE SET
       name = CASE WHEN $6 THEN EXCLUDED.name ELSE herald.tenants.name END,
       brand = COALESCE($3::jsonb, herald.tenants.brand),
       default_preferences = COALESCE($4::jsonb, herald.tenants.default_preferences),
       properties = COALESCE($5::jsonb, herald.tenants.properties),
       updated_at = now()
     RETURNING *, (xmax = 0) AS created`,
    id,
    p.name ?? null,
    json(p.brand),
    json(p.defaultPreferences),
    json(p.properties),
    p.name !== undefined,
  );

/** A stub for a tenant first named by a trigger (nothing set: the default brand, no default preferences). */
export const ensureTenant = (id: string) => s('INSERT INTO herald.tenants (id) VALUES ($1) ON CONFLICT (id) DO NOTHING', id);

export const tenantById = (id: string) => s('SELECT * FROM herald.tenants WHERE id = $1', id);

export const deleteTenant = (id: string) => s('DELETE FROM herald.tenants WHERE id = $1 RETURNING id', id);

/** A page of tenants in id order, after `after` (the keyset: the last id of the previous page). */
export const tenantsPage = (limit: number, after: string | null) =>
  s(`SELECT * FROM herald.tenants WHERE id > COALESCE($2::text, '') ORDER BY id LIMIT $1`, limit, after);
