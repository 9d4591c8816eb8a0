/**
 * `/v1/tenants`: the workspaces Herald sends on behalf of, a feature sub-app (http/app.ts mounts it). Tenants are
 * data managed by the application's server, behind an API key of scope `trigger` (as users' profiles are);
 * deleting one is `admin`, as deleting a user is.
 */
import { auditRequest } from '../audit/routes.ts';
import { readBody } from '../http/body.ts';
import type { AppDeps } from '../http/deps.ts';
import { HttpError } from '../http/errors.ts';
import { createFeature, type Feature, type Router } from '../http/route.ts';
import { checkTenantAgainstBundle, checkTenantId, deleteTenant, getTenant, pageCursor, pageLimit, putTenant, tenantBody, tenantsPage } from './store.ts';

/** A tenant's brand, preferences and properties: small documents. */
export const TENANT_BODY_BYTES = 64 * 1024;

export function tenantsFeature(deps: AppDeps): Feature {
  return createFeature(deps, (routes) => tenantRoutes(routes, deps));
}

function tenantRoutes(routes: Router, deps: AppDeps): void {
  routes.put('/v1/tenants/:id', { auth: 'api-key', scope: 'trigger', body: TENANT_BODY_BYTES }, async (c) => {
    const id = checkTenantId(c.req.param('id'));
    const { value } = await readBody(c, tenantBody);
    checkTenantAgainstBundle(deps.driver.bundles.live, value);
    const { tenant, created } = await putTenant(deps.db, id, value);
    return c.json({ tenant }, created ? 201 : 200);
  });

  routes.get('/v1/tenants/:id', { auth: 'api-key', scope: 'read', body: 0 }, async (c) => {
    const id = checkTenantId(c.req.param('id'));
    const tenant = await getTenant(deps.db, id);
    if (!tenant) throw new HttpError(404, 'not_found', `no tenant "${id}"`);
    return c.json({ tenant });
  });

  routes.get('/v1/tenants', { auth: 'api-key', scope: 'read', body: 0 }, async (c) => {
    return c.json(await tenantsPage(deps.db, pageLimit(c.req.query('limit')), pageCursor(c.req.query('cursor'))));
  });

  routes.delete('/v1/tenants/:id', { auth: 'api-key', scope: 'admin', body: 0 }, async (c) => {
    const id = checkTenantId(c.req.param('id'));
    if (!(await deleteTenant(deps.db, id))) throw new HttpError(404, 'not_found', `no tenant "${id}"`);
    await auditRequest(c, deps, { action: 'tenant_deleted', target: `tenant:${id}`, details: {} });
    return c.json({ id, deleted: true });
  });
}
