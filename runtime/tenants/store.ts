/**
 * Tenants as both APIs use them (`/v1/tenants`, routes.ts; Courier's `/tenants`, courier/tenants.ts): ids
 * checked, brand keys checked against the live bundle's declared brand, default preferences against its
 * categories, and the stored row presented.
 */
import { z } from 'zod';
import { brandSchema, type Brand, type Bundle, channelSchema } from '../../compiler/bundle/schema.ts';
import { exec, one, rows, type SqlClient } from '../db/sql-client.ts';
import { HttpError } from '../http/errors.ts';
import { refusal } from '../preferences/save.ts';
import { declaredBrandKeys, undeclaredBrandKeys } from '../render/index.ts';
import * as sql from './sql.ts';

const MAX_TENANT_ID_LENGTH = 255;
export const MAX_PAGE = 500;
export const DEFAULT_PAGE = 50;

/** `category` → `channel` → allowed: a tenant's defaults, the user preferences API's shape. */
export const tenantPreferencesSchema = z.record(z.string(), z.partialRecord(channelSchema, z.boolean()));
export type TenantPreferences = z.infer<typeof tenantPreferencesSchema>;

export const tenantBody = z
  .object({
    name: z.string().max(500).nullable(),
    brand: brandSchema,
    defaultPreferences: z.object({ categories: tenantPreferencesSchema }).strict(),
    properties: z.record(z.string(), z.json()),
  })
  .partial()
  .strict();
export type TenantBody = z.infer<typeof tenantBody>;

export interface TenantView {
  id: string;
  name: string | null;
  brand: Brand;
  defaultPreferences: { categories: TenantPreferences };
  properties: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
}

/** The tenant id from a path or a body, or a 400 saying what is wrong with it. */
export function checkTenantId(id: string, where = 'tenant id'): string {
  if (id.length === 0 || id.length > MAX_TENANT_ID_LENGTH || /[\u0000-\u001f\u007f]/.test(id)) {
    throw new HttpError(400, 'invalid_request', `${where}: a tenant id is 1–${MAX_TENANT_ID_LENGTH} characters, without control characters`);
  }
  return id;
}

export const tenantView = (row: sql.TenantRow): TenantView => ({
  id: row.id,
  name: row.name,
  brand: row.brand as Brand,
  defaultPreferences: { categories: (row.default_preferences.categories ?? {}) as TenantPreferences },
  properties: row.properties,
  createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
});

/**
 * Refuses (422) brand keys the live bundle's brand does not declare — no template could read them — and
 * default preferences for categories it does not know or that are required (they always send).
 */
export function checkTenantAgainstBundle(bundle: Bundle | null | undefined, body: TenantBody): void {
  if (body.brand) {
    const declared = bundle?.settings.brand;
    const unknown = undeclaredBrandKeys(declared, body.brand);
    if (unknown.length) {
      const keys = declaredBrandKeys(declared);
      throw new HttpError(
        422,
        'invalid_request',
        `brand key "${unknown[0]}" is not declared by the live bundle's settings({ brand }) (declared: ${keys.length ? keys.join(', ') : 'none'})`,
        unknown.map((key) => ({ path: `brand.${key}`, message: 'not a declared brand key', code: 'unknown_brand_key' })),
      );
    }
  }
  const categories = body.defaultPreferences?.categories;
  if (categories) {
    const refused = refusal(bundle, categories);
    if (refused)
      throw new HttpError(
        422,
        'invalid_request',
        `defaultPreferences: ${refused.message}`,
        refused.details.map((d) => ({ ...d, path: `defaultPreferences.${d.path}` })),
      );
  }
}

export async function putTenant(db: SqlClient, id: string, body: TenantBody): Promise<{ tenant: TenantView; created: boolean }> {
  const row = (await one<sql.TenantRow & { created: boolean }>(
    db,
    sql.upsertTenant(id, {
      ...(body.name === undefined ? {} : { name: body.name }),
      ...(body.brand === undefined ? {} : { brand: body.brand }),
      ...(body.defaultPreferences === undefined ? {} : { defaultPreferences: body.defaultPreferences }),
      ...(body.properties === undefined ? {} : { properties: body.properties }),
    }),
  ))!;
  return { tenant: tenantView(row), created: row.created };
}

export async function getTenant(db: SqlClient, id: string): Promise<TenantView | null> {
  const row = await one<sql.TenantRow>(db, sql.tenantById(id));
  return row ? tenantView(row) : null;
}

/** False when there was none. Runs already started keep their tenant id; they render the default brand from then on. */
export async function deleteTenant(db: SqlClient, id: string): Promise<boolean> {
  return (await rows(db, sql.deleteTenant(id))).length > 0;
}

export async function tenantsPage(db: SqlClient, limit: number, after: string | null): Promise<{ tenants: TenantView[]; next: string | null }> {
  const list = await rows<sql.TenantRow>(db, sql.tenantsPage(limit, after));
  const last = list[list.length - 1];
  return { tenants: list.map(tenantView), next: list.length === limit && last ? Buffer.from(last.id).toString('base64url') : null };
}

export function pageLimit(raw: string | undefined): number {
  const n = Number(raw ?? DEFAULT_PAGE);
  if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE) throw new HttpError(400, 'invalid_request', `limit must be a whole number from 1 to ${MAX_PAGE}`);
  return n;
}

/** `?cursor=` as the tenant id it encodes (a page's last), or a 400 when it cannot be one. */
export function pageCursor(raw: string | undefined): string | null {
  if (!raw) return null;
  const id = Buffer.from(raw, 'base64url').toString();
  if (id.length === 0 || id.length > MAX_TENANT_ID_LENGTH || /[\u0000-\u001f\u007f]/.test(id))
    throw new HttpError(400, 'invalid_request', 'cursor: not one this API returned (pass the `next` of the previous page as it was)');
  return id;
}

/**
 * The tenant a trigger names, checked and made to exist: a tenant first named by a trigger is created empty
 * (as Knock does), so the log, the inbox and a later PUT all find it. Runs in the caller's client, before the
 * trigger's own transaction: a stub left by a refused trigger is harmless.
 */
export async function tenantOfTrigger(db: SqlClient, tenant: string | undefined | null, where = 'tenant'): Promise<string | null> {
  if (tenant === undefined || tenant === null) return null;
  checkTenantId(tenant, where);
  await exec(db, sql.ensureTenant(tenant));
  return tenant;
}
