/**
 * The Courier-compatible API, so that Courier's own client (`@trycourier/courier`, `baseURL` = this runtime)
 * works unchanged: `POST /send`, `GET /messages/:id`, profiles, per-topic preferences, automations. Behind
 * the API key like `/v1`; errors in Courier's shape (`{ message, type }`). What is supported, partly or not
 * yet is in runtime/courier/README.md.
 */
import { randomUUID } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { z } from 'zod';
import { CHANNELS, type Bundle, type Channel, type JsonValue } from '../../compiler/bundle/schema.ts';
import { courierTenantRoutes } from './tenants.ts';
import { tenantOfTrigger } from '../tenants/store.ts';
import { courierMessageWorkflow } from './message.ts';
import { courierListRoutes, isListRecipient, sendToList } from './lists.ts';
import { PROFILE_FIELDS, presentCourierMessage, presentProfile, presentTopic } from './present.ts';
import { invokeBodySchema, preferencesBodySchema, profileBodySchema, sendBodySchema, topicBodySchema, type UserRecipient } from './schemas.ts';
import * as sql from '../db/sql.ts';
import { exec, one, rows, type SqlClient } from '../db/sql-client.ts';
import { loadUserSnapshot } from '../execution/snapshot.ts';
import { readBody } from '../http/body.ts';
import { emailAddress, phoneNumber } from '../http/contact.ts';
import type { AppDeps } from '../http/deps.ts';
import { HttpError } from '../http/errors.ts';
import { lookupFresh } from '../http/reads.ts';
import { MAX_BODY_BYTES } from '../http/limits.ts';
import { createFeature, type Feature, type Router } from '../http/route.ts';
import { gainedAddress, type SavedAddresses, wakeAddressWaits } from '../intake/address-waits.ts';
import { checkEventData, requestKey, type WorkflowStart } from '../intake/index.ts';
import { auditRequest } from '../audit/routes.ts';
import { deleteUserAudited } from '../users/delete.ts';

const COURIER_PATHS = ['/send', '/messages/*', '/profiles/*', '/users/*', '/automations/*', '/lists/*', '/tenants', '/tenants/*'];
const FROM_COURIER_CHANNEL: Readonly<Record<string, Channel>> = Object.assign(Object.create(null) as Record<string, Channel>, {
  email: 'email',
  sms: 'sms',
  push: 'push',
  inbox: 'inapp',
  inapp: 'inapp',
  webhook: 'webhook',
});

/** Courier's error types by status. */
function courierType(status: number): string {
  if (status === 401 || status === 403) return 'authentication_error';
  if (status === 404) return 'not_found_error';
  if (status === 409 || status === 422) return 'conflict_error';
  if (status >= 500) return 'api_error';
  return 'invalid_request_error';
}

/** Every error of these routes (shaped by the API's one handler) re-shaped as Courier's `{ message, type }`. */
const courierErrors: MiddlewareHandler = async (c, next) => {
  await next();
  if (!c.error || c.res.headers.get('content-type')?.includes('application/json') !== true) return;
  const status = c.res.status;
  const body = (await c.res.clone().json()) as { error?: { message?: string; details?: unknown } };
  c.res = undefined;
  c.res = c.json(
    { message: body.error?.message ?? 'error', type: courierType(status), ...(body.error?.details ? { details: body.error.details } : {}) },
    status as 400,
  );
};

function liveBundle(deps: AppDeps): Bundle {
  const bundle = deps.driver.bundles.live;
  if (!bundle) throw new HttpError(503, 'unavailable', 'no bundle is loaded yet');
  return bundle;
}

/** Profile columns and traits from a Courier profile object. */
function splitProfile(profile: Record<string, JsonValue>) {
  const columns: Record<string, string | null> = {};
  const traits: Record<string, JsonValue> = {};
  for (const [key, value] of Object.entries(profile)) {
    if ((PROFILE_FIELDS as readonly string[]).includes(key)) columns[key] = typeof value === 'string' ? value : null;
    else traits[key] = value;
  }
  return { columns, traits };
}

/**
 * A recipient's or a profile's address and number, by the rules of every other way in (contact.ts): they end
 * up in a provider's `To`, so anything else is a 400 naming the field.
 */
function checkContact(where: string, fields: { email?: unknown; phone_number?: unknown }): void {
  const rules = [
    ['email', emailAddress, 'an email address'],
    ['phone_number', phoneNumber, 'a phone number (E.164, e.g. +14155550100)'],
  ] as const;
  for (const [field, schema, what] of rules) {
    const value = fields[field];
    if (typeof value !== 'string' || schema.safeParse(value).success) continue;
    const message = `${JSON.stringify(value)} is not ${what}`;
    throw new HttpError(400, 'invalid_request', `${where}.${field}: ${message}`, [{ path: `${where}.${field}`, message, code: 'invalid_format' }]);
  }
}

/** A recipient as Herald's run input: a known user (inline contact fields saved to the profile), or an address. */
function recipientInput(to: UserRecipient): Pick<WorkflowStart, 'userId' | 'recipient' | 'profile'> {
  const contact = Object.fromEntries((['email', 'phone_number', 'locale'] as const).filter((k) => typeof to[k] === 'string').map((k) => [k, to[k] as string]));
  if (to.user_id) return { userId: to.user_id, recipient: null, ...(Object.keys(contact).length ? { profile: contact } : {}) };
  return { userId: null, recipient: contact };
}

/** A request (run) or message id, as Courier's `GET /messages/:id` shows it; every row from the one `db`. */
async function courierMessage(db: SqlClient, id: string) {
  if (!z.uuid().safeParse(id).success) return null;
  let run = await one<sql.RunRow>(db, sql.runById(id));
  let only: string | null = null;
  if (!run) {
    const message = await one<sql.MessageRow>(db, sql.messageById(id));
    if (!message) return null;
    run = await one<sql.RunRow>(db, sql.runById(message.run_id));
    only = message.id;
  }
  if (!run) return null;
  const messages = (await rows<sql.MessageRow>(db, sql.messagesOfRun(run))).filter((m) => !only || m.id === only);
  return presentCourierMessage(id, run, messages);
}

/** Applies a topic's status for a user: out of every channel, in on the custom routing only, or back to defaults. */
async function applyTopic(tx: SqlClient, bundle: Bundle, userId: string, topicId: string, topic: z.infer<typeof topicBodySchema>['topic']) {
  const category = Object.hasOwn(bundle.categories, topicId) ? bundle.categories[topicId] : undefined;
  if (!category) throw new HttpError(404, 'not_found', `no subscription topic "${topicId}" (known: ${Object.keys(bundle.categories).join(', ')})`);
  if (category.required) {
    if (topic.status === 'OPTED_OUT') throw new HttpError(400, 'invalid_request', `topic "${topicId}" is required and cannot be opted out of`);
    return;
  }
  await exec(tx, sql.clearPreferences(userId, topicId));
  if (topic.status === 'OPTED_OUT') {
    for (const channel of CHANNELS) await exec(tx, sql.setPreference(userId, topicId, channel, false));
  } else if (topic.has_custom_routing && topic.custom_routing) {
    const wanted = new Set(topic.custom_routing.map((c) => FROM_COURIER_CHANNEL[c]).filter((c): c is Channel => c !== undefined));
    for (const channel of CHANNELS) await exec(tx, sql.setPreference(userId, topicId, channel, wanted.has(channel)));
  }
}

async function topics(deps: AppDeps, userId: string) {
  const bundle = liveBundle(deps);
  const user = await loadUserSnapshot(deps.db, userId);
  return Object.keys(bundle.categories).map((id) => presentTopic(bundle, id, user));
}

/** The Courier-compatible API, with its own error shape on its paths: a sub-app that runtime/http/app.ts mounts. */
export function courierFeature(deps: AppDeps): Feature {
  return createFeature(deps, (routes) => courierRoutes(routes, deps));
}

function courierRoutes(routes: Router, deps: AppDeps): void {
  // Courier's error shape for every answer of these paths, refusals included.
  for (const path of COURIER_PATHS) routes.use(path, courierErrors);
  courierListRoutes(routes, deps);
  courierTenantRoutes(routes, deps);

  routes.post('/send', { auth: 'api-key', scope: 'trigger', body: MAX_BODY_BYTES }, async (c) => {
    const { value, raw } = await readBody(c, sendBodySchema);
    const bundle = liveBundle(deps);
    const message = value.message;
    // A list or a pattern: a fan-out to its members (lists.ts).
    if (isListRecipient(message.to)) return sendToList(c, deps, bundle, { ...message, to: message.to }, raw);
    const to = message.to;
    const recipients = Array.isArray(to) ? to : [to];
    recipients.forEach((to, i) => checkContact(Array.isArray(message.to) ? `message.to.${i}` : 'message.to', to));
    const requestId = randomUUID();
    const adHoc = courierMessageWorkflow(bundle, message, { requestId, now: Date.now() });
    const tenantId = await tenantOfTrigger(deps.db, message.context?.tenant_id, 'message.context.tenant_id');
    const starts = recipients.map(
      (to): WorkflowStart => ({
        bundle,
        workflows: [adHoc.workflow],
        // One recipient: the request id is its message id, as in Courier.
        runIds: [recipients.length === 1 ? requestId : randomUUID()],
        ...recipientInput(to),
        data: { ...(message.data ?? {}), ...(to.data ?? {}) } as Record<string, JsonValue>,
        triggerEvent: message.metadata?.event ?? null,
        definition: adHoc.definition,
        requestId,
        tenantId,
      }),
    );
    const result = await deps.intake.workflow(starts, () => ({ requestId }), requestKey(c.req.header('idempotency-key'), `courier\0${raw}`));
    deps.metrics.triggers.inc({ source: 'courier', outcome: result.replayed ? 'replayed' : 'accepted' });
    return c.json(result.body, 202);
  });

  // Courier's clients poll this with the requestId `POST /send` just returned: the read replica first, then the
  // primary when it has not replayed the request yet (http/reads.ts).
  routes.get('/messages/:id', { auth: 'api-key', scope: 'read', body: 0 }, async (c) => {
    const found = await lookupFresh(c, deps, (db) => courierMessage(db, c.req.param('id')));
    if (!found) throw new HttpError(404, 'not_found', `no message "${c.req.param('id')}"`);
    return c.json(found);
  });

  routes.get('/profiles/:userId', { auth: 'api-key', scope: 'trigger', body: 0 }, async (c) => {
    const user = await one<Record<string, unknown>>(deps.db, sql.userById(c.req.param('userId')));
    if (!user) throw new HttpError(404, 'not_found', `no profile "${c.req.param('userId')}"`);
    return c.json({ profile: presentProfile(user), preferences: { categories: {}, notifications: {} } });
  });

  const saveProfile = (replace: boolean) => async (c: Context) => {
    const { value } = await readBody(c, profileBodySchema);
    const { columns, traits } = splitProfile(value.profile);
    checkContact('profile', columns);
    const userId = c.req.param('userId')!;
    await deps.db.transaction(async (tx) => {
      const saved = replace
        ? await one<SavedAddresses>(
            tx,
            sql.replaceUser(userId, {
              email: columns.email ?? null,
              phone_number: columns.phone_number ?? null,
              locale: columns.locale ?? null,
              timezone: columns.timezone ?? null,
              traits,
            }),
          )
        : await one<SavedAddresses>(tx, sql.upsertUser(userId, { ...columns, traits }));
      // An address arriving after the trigger: the user's sends waiting for one go on now.
      if (saved && gainedAddress(saved.address_before, saved)) await wakeAddressWaits(deps.driver, tx, userId);
    });
    return c.json({ status: 'SUCCESS' });
  };
  routes.post('/profiles/:userId', { auth: 'api-key', scope: 'trigger', body: MAX_BODY_BYTES }, saveProfile(false));
  routes.put('/profiles/:userId', { auth: 'api-key', scope: 'trigger', body: MAX_BODY_BYTES }, saveProfile(true));
  // Courier answers 204 with no body, whether or not the profile existed.
  routes.delete('/profiles/:userId', { auth: 'api-key', scope: 'admin', body: 0 }, async (c) => {
    await deleteUserAudited(c, deps, c.req.param('userId'));
    return c.body(null, 204);
  });

  routes.get('/users/:userId/preferences', { auth: 'api-key', scope: 'trigger', body: 0 }, async (c) =>
    c.json({ items: await topics(deps, c.req.param('userId')), paging: { more: false, cursor: null } }),
  );
  routes.get('/users/:userId/preferences/:topicId', { auth: 'api-key', scope: 'trigger', body: 0 }, async (c) => {
    const topic = (await topics(deps, c.req.param('userId'))).find((t) => t.topic_id === c.req.param('topicId'));
    if (!topic) throw new HttpError(404, 'not_found', `no subscription topic "${c.req.param('topicId')}"`);
    return c.json({ topic });
  });
  routes.put('/users/:userId/preferences/:topicId', { auth: 'api-key', scope: 'trigger', body: MAX_BODY_BYTES }, async (c) => {
    const { value } = await readBody(c, topicBodySchema);
    const bundle = liveBundle(deps);
    await deps.db.transaction((tx) => applyTopic(tx, bundle, c.req.param('userId'), c.req.param('topicId'), value.topic));
    await auditRequest(c, deps, {
      action: 'preferences_set',
      target: `user:${c.req.param('userId')}`,
      details: { topics: { [c.req.param('topicId')]: value.topic } },
    });
    return c.json({ message: 'success' });
  });
  routes.put('/users/:userId/preferences', { auth: 'api-key', scope: 'trigger', body: MAX_BODY_BYTES }, async (c) => {
    const { value } = await readBody(c, preferencesBodySchema);
    const bundle = liveBundle(deps);
    await deps.db.transaction(async (tx) => {
      for (const [topicId, topic] of Object.entries(value.topics)) await applyTopic(tx, bundle, c.req.param('userId'), topicId, topic);
    });
    await auditRequest(c, deps, { action: 'preferences_set', target: `user:${c.req.param('userId')}`, details: { topics: value.topics } });
    return c.json({ items: await topics(deps, c.req.param('userId')), paging: { more: false, cursor: null } });
  });

  /** An automation is a workflow of the bundle, invoked for one recipient (a user id). */
  const invoke = (fromPath: boolean) => async (c: Context) => {
    const { value } = await readBody(c, invokeBodySchema);
    const bundle = liveBundle(deps);
    const workflowId = fromPath ? c.req.param('templateId')! : (value.template ?? '');
    // The id comes from the request: only the bundle's own workflows, never a name inherited from Object.prototype.
    const workflow = Object.hasOwn(bundle.workflows, workflowId) ? bundle.workflows[workflowId] : undefined;
    if (!workflow) throw new HttpError(404, 'not_found', `no workflow "${workflowId}" to invoke (known: ${Object.keys(bundle.workflows).join(', ')})`);
    if (!value.recipient) throw new HttpError(400, 'invalid_request', 'recipient: a user id is required');
    const data = (value.data ?? {}) as Record<string, JsonValue>;
    if (workflow.trigger.type === 'event') checkEventData(bundle, workflow.trigger.event, data);
    const profile = value.profile ? splitProfile(value.profile as Record<string, JsonValue>) : null;
    if (profile) checkContact('profile', profile.columns);
    const runId = randomUUID();
    const start: WorkflowStart = {
      bundle,
      workflows: [workflow],
      runIds: [runId],
      userId: value.recipient,
      recipient: null,
      data,
      triggerEvent: null,
      ...(profile ? { profile: { ...profile.columns, traits: profile.traits } } : {}),
    };
    await deps.intake.workflow([start], () => ({ runId }));
    deps.metrics.runsStarted.inc({ workflow: workflow.id });
    return c.json({ runId }, 202);
  };
  routes.post('/automations/invoke', { auth: 'api-key', scope: 'trigger', body: MAX_BODY_BYTES }, invoke(false));
  routes.post('/automations/:templateId/invoke', { auth: 'api-key', scope: 'trigger', body: MAX_BODY_BYTES }, invoke(true));
}
