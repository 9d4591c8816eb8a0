/**
 * `/v1/webhook-endpoints`: where Herald's lifecycle events go (a feature sub-app; http/app.ts mounts it).
 * Managing where data leaves is `admin`; reading the endpoints and their deliveries is `read`. Secrets are in
 * the answers to create and rotate only.
 */
import { auditRequest } from '../audit/routes.ts';
import { readBody } from '../http/body.ts';
import type { AppDeps } from '../http/deps.ts';
import { createFeature, type Feature, type Router } from '../http/route.ts';
import { deliveriesOf } from './deliveries.ts';
import {
  checkEndpointUrl,
  createEndpoint,
  endpointBody,
  getEndpoint,
  listEndpoints,
  originOf,
  present,
  replay,
  rotateEndpointSecret,
  setEndpointEnabled,
} from './endpoints.ts';

/** An endpoint's url, filter and description: a small document. */
export const ENDPOINT_BODY_BYTES = 16 * 1024;

export function outboxFeature(deps: AppDeps): Feature {
  return createFeature(deps, (routes) => endpointRoutes(routes, deps));
}

function endpointRoutes(routes: Router, deps: AppDeps): void {
  routes.post('/v1/webhook-endpoints', { auth: 'api-key', scope: 'admin', body: ENDPOINT_BODY_BYTES }, async (c) => {
    const { value } = await readBody(c, endpointBody);
    const url = await checkEndpointUrl(value.url, deps.env);
    const created = await createEndpoint(deps.db, value, url);
    await auditRequest(c, deps, { action: 'webhook_endpoint_created', target: `webhook-endpoint:${created.endpoint.id}`, details: { url: originOf(url) } });
    return c.json(created, 201);
  });

  routes.get('/v1/webhook-endpoints', { auth: 'api-key', scope: 'read', body: 0 }, async (c) => c.json({ endpoints: await listEndpoints(deps.db) }));

  routes.get(
    '/v1/webhook-endpoints/:id',
    { auth: 'api-key', scope: 'read', body: 0, note: 'the endpoint and its latest deliveries with every attempt' },
    async (c) => {
      const endpoint = await getEndpoint(deps.db, c.req.param('id'));
      return c.json({ endpoint: present(endpoint), deliveries: await deliveriesOf(deps.db, endpoint.id, 100) });
    },
  );

  routes.post('/v1/webhook-endpoints/:id/rotate-secret', { auth: 'api-key', scope: 'admin', body: 0 }, async (c) => {
    const rotated = await rotateEndpointSecret(deps.db, c.req.param('id'));
    await auditRequest(c, deps, { action: 'webhook_endpoint_secret_rotated', target: `webhook-endpoint:${rotated.endpoint.id}`, details: {} });
    return c.json(rotated);
  });

  for (const [verb, enabled] of [
    ['disable', false],
    ['enable', true],
  ] as const) {
    routes.post(`/v1/webhook-endpoints/:id/${verb}`, { auth: 'api-key', scope: 'admin', body: 0 }, async (c) => {
      const endpoint = await setEndpointEnabled(deps.db, c.req.param('id'), enabled);
      await auditRequest(c, deps, { action: `webhook_endpoint_${verb}d`, target: `webhook-endpoint:${endpoint.id}`, details: {} });
      return c.json({ endpoint });
    });
  }

  routes.post('/v1/webhook-endpoints/:id/replay', { auth: 'api-key', scope: 'admin', body: 0, note: '?since= an ISO time or an event id' }, async (c) => {
    const id = c.req.param('id');
    const replayed = await replay(deps.db, id, c.req.query('since'));
    await auditRequest(c, deps, {
      action: 'webhook_endpoint_replayed',
      target: `webhook-endpoint:${id}`,
      details: { since: c.req.query('since') ?? null, queued: replayed.queued, more: replayed.more },
    });
    return c.json(replayed, 202);
  });
}
