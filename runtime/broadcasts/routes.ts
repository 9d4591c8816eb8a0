/**
 * `/v1/broadcasts`: send a broadcast of the live bundle (`POST /v1/broadcasts/:id/send`, Idempotency-Key as
 * triggers have), read a broadcast run's progress (`GET /v1/broadcasts/:runId`) and cancel it
 * (`POST /v1/broadcasts/:runId/cancel`). A feature sub-app (http/app.ts mounts it).
 */
import { z } from 'zod';
import { auditRequest } from '../audit/routes.ts';
import { readBody } from '../http/body.ts';
import type { AppDeps } from '../http/deps.ts';
import { HttpError } from '../http/errors.ts';
import { createFeature, type Feature, type Router } from '../http/route.ts';
import { requestKey } from '../intake/index.ts';
import { acceptBroadcast } from './accept.ts';
import { broadcastProgress, cancelBroadcast } from './broadcasts.ts';

const SEND_BODY = 64 * 1024;
const sendBody = z.object({
  /** The first recipients start then (ISO 8601); absent or past: now. */
  scheduledAt: z.iso.datetime({ offset: true }).optional(),
  data: z.record(z.string(), z.json()).default({}),
  tenant: z.string().optional(),
});

function runIdParam(value: string): string {
  if (!z.uuid().safeParse(value).success) throw new HttpError(404, 'not_found', `no broadcast run "${value}"`);
  return value;
}

export function broadcastsFeature(deps: AppDeps): Feature {
  return createFeature(deps, (routes) => broadcastRoutes(routes, deps));
}

function broadcastRoutes(routes: Router, deps: AppDeps): void {
  routes.post('/v1/broadcasts/:id/send', { auth: 'api-key', scope: 'trigger', body: SEND_BODY }, async (c) => {
    const { value, raw } = await readBody(c, sendBody);
    const id = c.req.param('id');
    const request = {
      id,
      data: value.data,
      ...(value.tenant === undefined ? {} : { tenant: value.tenant }),
      ...(value.scheduledAt ? { scheduledAt: new Date(value.scheduledAt) } : {}),
    };
    // The fan-out is created in the keyed work: a retry with the same key answers the first run, and starts nothing.
    const result = await acceptBroadcast(deps, request, requestKey(c.req.header('idempotency-key'), `broadcast\0${id}\0${raw}`));
    if (!result.replayed) await auditRequest(c, deps, { action: 'broadcast_sent', target: `broadcast:${id}`, details: { ...result.body } });
    return c.json(result.body, 202);
  });

  routes.get('/v1/broadcasts/:runId', { auth: 'api-key', scope: 'read', body: 0 }, async (c) => {
    const runId = runIdParam(c.req.param('runId'));
    const progress = await broadcastProgress(deps.db, runId);
    if (!progress) throw new HttpError(404, 'not_found', `no broadcast run "${runId}"`);
    return c.json(progress);
  });

  routes.post('/v1/broadcasts/:runId/cancel', { auth: 'api-key', scope: 'trigger', body: 0 }, async (c) => {
    const runId = runIdParam(c.req.param('runId'));
    const cancelled = await cancelBroadcast(deps, runId);
    if (!cancelled) throw new HttpError(404, 'not_found', `no broadcast run "${runId}"`);
    await auditRequest(c, deps, { action: 'broadcast_cancelled', target: `broadcast-run:${runId}`, details: cancelled });
    return c.json({ ...(await broadcastProgress(deps.db, runId)), ...cancelled });
  });
}
