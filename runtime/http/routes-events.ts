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
import { checkEventData, prepareEvent, requestKey } from '../intake/index.ts';
import { tenantOfTrigger } from '../tenants/store.ts';
import { checkSource, createFanout, recipientRequestSchema } from '../recipients/index.ts';
import { fanoutDepsOf } from '../recipients/routes.ts';
import { readBody } from './body.ts';
import { emailAddress, phoneNumber } from './contact.ts';
import type { AppDeps } from './deps.ts';
import { HttpError } from './errors.ts';

const dataSchema = z.record(z.string(), z.json());
const eventBody = z.object({
  event: z.string().min(1),
  userId: z.string().min(1),
  properties: dataSchema.default({}),
  messageId: z.string().min(1).optional(),
  /** The tenant the runs send for (runtime/tenants): its brand, default preferences and inbox. */
  tenant: z.string().optional(),
});
const recipientSchema = z.object({
  email: emailAddress.optional(),
  phone_number: phoneNumber.optional(),
  push_tokens: z.array(z.string()).optional(),
  locale: z.string().optional(),
  timezone: z.string().optional(),
});
const triggerBody = z
  .object({
    userId: z.string().min(1).optional(),
    to: recipientSchema.optional(),
    /** A list or a list pattern (or an audience): one run per member, by a fan-out (runtime/recipients/). */
    recipients: recipientRequestSchema.optional(),
    data: dataSchema.default({}),
    tenant: z.string().optional(),
  })
  .refine((b) => [b.userId, b.to, b.recipients].filter((r) => r !== undefined).length === 1, {
    message: 'give exactly one of userId, to or recipients',
    path: ['userId'],
  });

function liveBundle(deps: AppDeps): Bundle {
  const bundle = deps.driver.bundles.live;
  if (!bundle) throw new HttpError(503, 'unavailable', 'no bundle is loaded yet');
  return bundle;
}

export function eventRoutes(routes: Router, deps: AppDeps) {
  routes.post('/v1/events', { auth: 'api-key', scope: 'trigger', body: MAX_BODY_BYTES }, async (c) => {
    const { value, raw } = await readBody(c, eventBody);
    const bundle = liveBundle(deps);
    // Checked (and its run ids made) before any transaction: a refused event costs its neighbours nothing.
    const prepared = prepareEvent(bundle, { event: value.event, userId: value.userId, properties: value.properties, messageId: value.messageId ?? null });
    const tenantId = await tenantOfTrigger(deps.db, value.tenant);
    const input = tenantId ? { ...prepared, tenantId } : prepared;
    const result = await deps.intake.event(input, requestKey(c.req.header('idempotency-key'), raw));
    deps.metrics.triggers.inc({ source: 'events', outcome: result.replayed ? 'replayed' : 'accepted' });
    for (const w of result.replayed ? [] : input.workflows) deps.metrics.runsStarted.inc({ workflow: w.id });
    return c.json(result.body, 202);
  });

  routes.post('/v1/workflows/:id/trigger', { auth: 'api-key', scope: 'trigger', body: MAX_BODY_BYTES }, async (c) => {
    const { value, raw } = await readBody(c, triggerBody);
    const bundle = liveBundle(deps);
    const id = c.req.param('id');
    // The id comes from the path: only the bundle's own workflows, never a name inherited from Object.prototype.
    const workflow = Object.hasOwn(bundle.workflows, id) ? bundle.workflows[id] : undefined;
    if (!workflow) throw new HttpError(404, 'not_found', `no workflow "${id}" in the live bundle (${Object.keys(bundle.workflows).join(', ')})`);
    if (workflow.trigger.type === 'event') checkEventData(bundle, workflow.trigger.event, value.data, 'data');
    if (value.recipients) {
      const fanouts = fanoutDepsOf(deps);
      const source = value.recipients;
      checkSource(source, 'recipients', bundle, fanouts.audiences);
      const tenant = await tenantOfTrigger(deps.db, value.tenant);
      // The fan-out and its first page are the keyed work: a replay answers with the same fan-out.
      const created = await deps.intake.work(
        async (tx) => ({ fanout: await createFanout(fanouts, tx, { kind: 'trigger', source, bundle, workflow, data: value.data, tenant: tenant ?? null }) }),
        requestKey(c.req.header('idempotency-key'), `${workflow.id}\0${raw}`),
      );
      deps.metrics.triggers.inc({ source: 'workflow', outcome: created.replayed ? 'replayed' : 'accepted' });
      return c.json(created.body, 202);
    }
    const start = {
      bundle,
      workflows: [workflow],
      runIds: [randomUUID()],
      userId: value.userId ?? null,
      recipient: value.to ?? null,
      data: value.data,
      triggerEvent: null,
      tenantId: await tenantOfTrigger(deps.db, value.tenant),
    };
    const result = await deps.intake.workflow([start], (runs) => ({ runs: runs[0]! }), requestKey(c.req.header('idempotency-key'), `${workflow.id}\0${raw}`));
    deps.metrics.triggers.inc({ source: 'workflow', outcome: result.replayed ? 'replayed' : 'accepted' });
    return c.json(result.body, 202);
  });
}
