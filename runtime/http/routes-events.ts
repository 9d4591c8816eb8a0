/**
 * Triggers: `POST /v1/events` (a product event: starts every workflow it triggers, feeds waits and
 * cancellations) and `POST /v1/workflows/:id/trigger` (one workflow directly). Both answer 202 only once
 * the runs and their first jobs are committed.
 */
import type { Router } from './route.ts';
import { MAX_BODY_BYTES } from './limits.ts';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Bundle } from '../../compiler/bundle/schema.ts';
import { checkEventData, createEventIntake, prepareEvent } from '../driver/ingest.ts';
import { acceptEvent, startRuns, type EventAcceptance } from '../driver/triggers.ts';
import { readBody } from './body.ts';
import { emailAddress, phoneNumber } from './contact.ts';
import { idempotent } from './idempotency.ts';
import type { AppDeps } from './deps.ts';
import { HttpError } from './errors.ts';

const dataSchema = z.record(z.string(), z.json());
const eventBody = z.object({
  event: z.string().min(1),
  userId: z.string().min(1),
  properties: dataSchema.default({}),
  messageId: z.string().min(1).optional(),
});
const recipientSchema = z.object({
  email: emailAddress.optional(),
  phone_number: phoneNumber.optional(),
  push_tokens: z.array(z.string()).optional(),
  locale: z.string().optional(),
  timezone: z.string().optional(),
});
const triggerBody = z
  .object({ userId: z.string().min(1).optional(), to: recipientSchema.optional(), data: dataSchema.default({}) })
  .refine((b) => (b.userId === undefined) !== (b.to === undefined), { message: 'give exactly one of userId or to', path: ['userId'] });

function liveBundle(deps: AppDeps): Bundle {
  const bundle = deps.driver.bundles.live;
  if (!bundle) throw new HttpError(503, 'unavailable', 'no bundle is loaded yet');
  return bundle;
}

export function eventRoutes(routes: Router, deps: AppDeps) {
  // Without an Idempotency-Key an event writes nothing else: concurrent ones are accepted together.
  const intake = createEventIntake(deps.db, deps.driver);
  const answer = (accepted: EventAcceptance, event: string) => {
    // A retry of an event already accepted (same messageId): the same runs, nothing new.
    if (accepted.duplicate) return { status: 202 as const, body: { runs: accepted.runs, duplicate: true } };
    const { runs, routed } = accepted;
    const body: Record<string, unknown> = { runs, routed: routed.length };
    if (runs.length === 0) body.note = `no workflow is triggered by "${event}"; it was logged${routed.length ? ' and delivered to waiting runs' : ''}`;
    return { status: 202 as const, body };
  };

  routes.post('/v1/events', { auth: 'api-key', scope: 'trigger', body: MAX_BODY_BYTES }, async (c) => {
    const { value, raw } = await readBody(c, eventBody);
    const bundle = liveBundle(deps);
    // Checked (and its run ids made) before any transaction: a refused event costs its neighbours nothing.
    const input = prepareEvent(bundle, { event: value.event, userId: value.userId, properties: value.properties, messageId: value.messageId ?? null });
    const key = c.req.header('idempotency-key');
    const result = key
      ? await idempotent(deps, key, raw, async (tx) => answer(await acceptEvent(deps.driver, tx, input), value.event))
      : { ...answer(await intake(input), value.event), replayed: false };
    deps.metrics.triggers.inc({ source: 'events', outcome: result.replayed ? 'replayed' : 'accepted' });
    for (const w of result.replayed ? [] : input.workflows) deps.metrics.runsStarted.inc({ workflow: w.id });
    return c.json(result.body as object, 202);
  });

  routes.post('/v1/workflows/:id/trigger', { auth: 'api-key', scope: 'trigger', body: MAX_BODY_BYTES }, async (c) => {
    const { value, raw } = await readBody(c, triggerBody);
    const bundle = liveBundle(deps);
    const workflow = bundle.workflows[c.req.param('id')];
    if (!workflow) throw new HttpError(404, 'not_found', `no workflow "${c.req.param('id')}" in the live bundle (${Object.keys(bundle.workflows).join(', ')})`);
    if (workflow.trigger.type === 'event') checkEventData(bundle, workflow.trigger.event, value.data, 'data');
    const data = value.data;
    const result = await idempotent(deps, c.req.header('idempotency-key'), `${workflow.id}\0${raw}`, async (tx) => {
      const runs = await startRuns(deps.driver, tx, {
        bundle,
        workflows: [workflow],
        runIds: [randomUUID()],
        userId: value.userId ?? null,
        recipient: value.to ?? null,
        data,
        triggerEvent: null,
      });
      return { status: 202 as const, body: { runs } };
    });
    deps.metrics.triggers.inc({ source: 'workflow', outcome: result.replayed ? 'replayed' : 'accepted' });
    return c.json(result.body as object, 202);
  });
}
