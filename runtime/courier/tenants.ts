/**
 * Courier's tenants: `PUT/GET/DELETE /tenants/:id` and `GET /tenants`, in Courier's shape, on the same tenants as
 * `/v1/tenants` (runtime/tenants/). Registered by routes.ts among Courier's routes, so errors take Courier's shape.
 *
 * - `default_preferences.items[]`: `{ id: <category>, status }` — `OPTED_OUT` turns every channel of the category off
 *   for the tenant's users; `OPTED_IN` with `has_custom_routing` and `custom_routing` turns exactly those channels on
 *   (the others off); `OPTED_IN` (or `REQUIRED`) without routing sets nothing: the category's default applies.
 * - `brand`: Herald's brand values (checked against the bundle's declared keys). `brand_id` names a Courier brand,
 *   which Herald has not got: it is kept (in `properties.brand_id`) and given back, and changes nothing.
 */
import { z } from 'zod';
import { brandSchema, CHANNELS, type Channel } from '../../compiler/bundle/schema.ts';
import { auditRequest } from '../audit/routes.ts';
import { readBody } from '../http/body.ts';
import type { AppDeps } from '../http/deps.ts';
import { HttpError } from '../http/errors.ts';
import type { Router } from '../http/route.ts';
import { TENANT_BODY_BYTES } from '../tenants/routes.ts';
import {
  checkTenantAgainstBundle,
  checkTenantId,
  deleteTenant,
  getTenant,
  pageCursor,
  pageLimit,
  putTenant,
  type TenantPreferences,
  type TenantView,
  tenantsPage,
} from '../tenants/store.ts';

const TO_HERALD: Readonly<Record<string, Channel>> = Object.assign(Object.create(null) as Record<string, Channel>, {
  email: 'email',
  sms: 'sms',
  push: 'push',
  inbox: 'inapp',
  direct_message: 'inapp',
  webhook: 'webhook',
});
const TO_COURIER: Record<Channel, string> = { email: 'email', sms: 'sms', push: 'push', inapp: 'inbox', webhook: 'webhook' };

const itemSchema = z
  .object({
    id: z.string().min(1),
    status: z.enum(['OPTED_IN', 'OPTED_OUT', 'REQUIRED']),
    custom_routing: z.array(z.string()).nullish(),
    has_custom_routing: z.boolean().nullish(),
  })
  .loose();
const courierTenantBody = z
  .object({
    name: z.string().max(500).nullish(),
    brand_id: z.string().max(255).nullish(),
    brand: brandSchema.nullish(),
    default_preferences: z
      .object({ items: z.array(itemSchema).max(500).nullish() })
      .loose()
      .nullish(),
    properties: z.record(z.string(), z.json()).nullish(),
  })
  .loose();

/** Courier's items → Herald's category → channel → allowed. */
function fromItems(items: z.infer<typeof itemSchema>[]): TenantPreferences {
  const out: TenantPreferences = Object.create(null);
  items.forEach((item, i) => {
    if (item.status === 'OPTED_OUT') out[item.id] = Object.fromEntries(CHANNELS.map((c) => [c, false]));
    else if (item.status === 'OPTED_IN' && item.has_custom_routing && item.custom_routing) {
      const on = new Set(
        item.custom_routing.map((name) => {
          const channel = Object.hasOwn(TO_HERALD, name) ? TO_HERALD[name] : undefined;
          if (!channel)
            throw new HttpError(400, 'invalid_request', `default_preferences.items.${i}.custom_routing: unknown channel "${name}" (email, sms, push, inbox)`);
          return channel;
        }),
      );
      out[item.id] = Object.fromEntries(CHANNELS.map((c) => [c, on.has(c)]));
    } else out[item.id] = {};
  });
  return out;
}

/** Herald's defaults → Courier's items (a category with every channel off is OPTED_OUT). */
function toItems(categories: TenantPreferences) {
  return Object.entries(categories).map(([id, channels]) => {
    const set = Object.entries(channels) as [Channel, boolean][];
    if (set.length === 0) return { id, status: 'OPTED_IN' as const, has_custom_routing: false, custom_routing: [] };
    const on = set.filter(([, allowed]) => allowed).map(([channel]) => TO_COURIER[channel]);
    return on.length === 0
      ? { id, status: 'OPTED_OUT' as const, has_custom_routing: false, custom_routing: [] }
      : { id, status: 'OPTED_IN' as const, has_custom_routing: true, custom_routing: on };
  });
}

function present(t: TenantView) {
  const { brand_id, ...properties } = t.properties;
  return {
    id: t.id,
    name: t.name ?? '',
    brand_id: typeof brand_id === 'string' ? brand_id : null,
    ...(Object.keys(t.brand).length ? { brand: t.brand } : {}),
    default_preferences: { items: toItems(t.defaultPreferences.categories) },
    properties,
  };
}

export function courierTenantRoutes(routes: Router, deps: AppDeps): void {
  routes.put('/tenants/:id', { auth: 'api-key', scope: 'trigger', body: TENANT_BODY_BYTES }, async (c) => {
    const id = checkTenantId(c.req.param('id'));
    const { value } = await readBody(c, courierTenantBody);
    // Courier's PUT replaces the tenant: fields left out are cleared.
    const properties = { ...(value.properties ?? {}), ...(value.brand_id ? { brand_id: value.brand_id } : {}) };
    const body = {
      name: value.name ?? null,
      brand: value.brand ?? {},
      defaultPreferences: { categories: fromItems(value.default_preferences?.items ?? []) },
      properties,
    };
    checkTenantAgainstBundle(deps.driver.bundles.live, body);
    return c.json(present((await putTenant(deps.db, id, body)).tenant));
  });

  routes.get('/tenants/:id', { auth: 'api-key', scope: 'read', body: 0 }, async (c) => {
    const id = checkTenantId(c.req.param('id'));
    const tenant = await getTenant(deps.db, id);
    if (!tenant) throw new HttpError(404, 'not_found', `no tenant "${id}"`);
    return c.json(present(tenant));
  });

  routes.get('/tenants', { auth: 'api-key', scope: 'read', body: 0 }, async (c) => {
    const { tenants, next } = await tenantsPage(deps.db, pageLimit(c.req.query('limit')), pageCursor(c.req.query('cursor')));
    return c.json({
      type: 'list',
      items: tenants.map(present),
      has_more: next !== null,
      cursor: next,
      next_url: next ? `/tenants?cursor=${next}` : null,
      url: '/tenants',
    });
  });

  routes.delete('/tenants/:id', { auth: 'api-key', scope: 'admin', body: 0 }, async (c) => {
    const id = checkTenantId(c.req.param('id'));
    // Audited as /v1/tenants's DELETE is (tenants/routes.ts). Courier answers 204 whether or not the tenant existed.
    if (await deleteTenant(deps.db, id)) await auditRequest(c, deps, { action: 'tenant_deleted', target: `tenant:${id}`, details: {} });
    return c.body(null, 204);
  });
}
