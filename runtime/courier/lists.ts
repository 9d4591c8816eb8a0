/**
 * Courier's lists: `/lists/:id` and its subscriptions (the same lists as `/v1/lists`, runtime/lists/), and
 * `POST /send` to `{ list_id }` or `{ list_pattern }`: a fan-out (runtime/recipients/) of the message's ad-hoc
 * workflow to every member, each run the member's own. Registered by routes.ts among Courier's routes, so its
 * errors take Courier's shape.
 */
import { randomUUID } from 'node:crypto';
import type { Context } from 'hono';
import { z } from 'zod';
import type { Bundle, JsonValue } from '../../compiler/bundle/schema.ts';
import { readBody } from '../http/body.ts';
import type { AppDeps } from '../http/deps.ts';
import { HttpError } from '../http/errors.ts';
import { MAX_BODY_BYTES } from '../http/limits.ts';
import type { Router } from '../http/route.ts';
import { requestKey } from '../intake/index.ts';
import { checkListId, checkUserId, deleteList, deleteMember, getList, membersPage, pageLimit, putList, putMember, putMembers } from '../lists/store.ts';
import { checkSource, createFanout, type RecipientSource } from '../recipients/index.ts';
import { fanoutDepsOf } from '../recipients/routes.ts';
import { tenantOfTrigger } from '../tenants/store.ts';
import { courierMessageWorkflow } from './message.ts';
import type { ListRecipient, SendMessage } from './schemas.ts';

const SMALL_BODY = 16 * 1024;
const listBody = z.object({ name: z.string().max(500).nullish() }).loose();
const preferences = z.object({}).loose().nullish();
const recipientsBody = z.object({ recipients: z.array(z.object({ recipientId: z.string().min(1), preferences }).loose()).max(1000) });
const subscribeBody = z.object({ preferences }).loose();

/** A subscription's `preferences` are kept as its member data (Herald applies the user's own preferences). */
const memberData = (p: Record<string, unknown> | null | undefined): Record<string, JsonValue> => (p ? { preferences: p as JsonValue } : {});

export function isListRecipient(to: SendMessage['to']): to is ListRecipient {
  return !Array.isArray(to) && ('list_id' in to || 'list_pattern' in to);
}

/** `POST /send` to a list or a pattern: the message's workflow fanned out, answered as Courier does, `{ requestId }`. */
export async function sendToList(c: Context, deps: AppDeps, bundle: Bundle, message: SendMessage & { to: ListRecipient }, raw: string) {
  // Both shapes are loose (Courier's clients send more fields): told apart by the field each requires.
  const listId = message.to.list_id;
  const source: RecipientSource = typeof listId === 'string' ? { list: listId } : { listPattern: String(message.to.list_pattern) };
  const where = typeof listId === 'string' ? 'message.to.list_id' : 'message.to.list_pattern';
  const fanouts = fanoutDepsOf(deps);
  try {
    checkSource(source, 'message.to', bundle, fanouts.audiences);
  } catch (error) {
    throw new HttpError(400, 'invalid_request', `${where}: ${(error as Error).message.replace(/^message\.to\.\w+: /, '')}`);
  }
  // The request id is the fan-out's id and every run's request id.
  const requestId = randomUUID();
  const adHoc = courierMessageWorkflow(bundle, message, { requestId, now: Date.now() });
  const data = { ...(message.data ?? {}), ...(message.to.data ?? {}) } as Record<string, JsonValue>;
  // Courier's `context.tenant_id`: every member's run sends for that tenant, as a single send's does.
  const tenant = await tenantOfTrigger(deps.db, message.context?.tenant_id, 'message.context.tenant_id');
  const result = await deps.intake.work(
    async (tx) => {
      await createFanout(fanouts, tx, {
        id: requestId,
        kind: 'courier',
        source,
        bundle,
        workflow: adHoc.workflow,
        definition: adHoc.definition,
        data,
        tenant,
        requestId,
      });
      return { requestId };
    },
    requestKey(c.req.header('idempotency-key'), `courier\0${raw}`),
  );
  deps.metrics.triggers.inc({ source: 'courier', outcome: result.replayed ? 'replayed' : 'accepted' });
  return c.json(result.body, 202);
}

const courierList = (list: { id: string; name: string | null; createdAt: string; updatedAt: string }) => ({
  id: list.id,
  name: list.name ?? list.id,
  created: list.createdAt,
  updated: list.updatedAt,
});

export function courierListRoutes(routes: Router, deps: AppDeps): void {
  const policy = (body: number) => ({ auth: 'api-key' as const, scope: 'trigger' as const, body });
  const notFound = (id: string) => new HttpError(404, 'not_found', `no list "${id}"`);

  routes.put('/lists/:id', policy(SMALL_BODY), async (c) => {
    const id = checkListId(c.req.param('id'));
    const { value } = await readBody(c, listBody);
    await putList(deps.db, id, value.name);
    return c.body(null, 204);
  });
  routes.get('/lists/:id', policy(0), async (c) => {
    const id = checkListId(c.req.param('id'));
    const list = await getList(deps.db, id);
    if (!list) throw notFound(id);
    return c.json(courierList(list));
  });
  routes.delete('/lists/:id', policy(0), async (c) => {
    const id = checkListId(c.req.param('id'));
    if (!(await deleteList(deps.db, id))) throw notFound(id);
    return c.body(null, 204);
  });

  routes.get('/lists/:id/subscriptions', policy(0), async (c) => {
    const id = checkListId(c.req.param('id'));
    if (!(await getList(deps.db, id))) throw notFound(id);
    const cursor = c.req.query('cursor');
    const page = await membersPage(deps.db, id, cursor ? checkUserId(cursor, 'cursor') : null, pageLimit(c.req.query('limit')));
    return c.json({
      items: page.items.map((m) => ({ recipientId: m.userId, created: m.createdAt, preferences: (m.data.preferences as object | undefined) ?? null })),
      paging: { more: page.next !== null, cursor: page.next },
    });
  });
  // PUT replaces every subscription; POST adds to them.
  for (const [method, replace] of [['put', true] as const, ['post', false] as const]) {
    routes[method]('/lists/:id/subscriptions', policy(MAX_BODY_BYTES), async (c) => {
      const id = checkListId(c.req.param('id'));
      const { value } = await readBody(c, recipientsBody);
      const members = value.recipients.map((r, i) => ({ userId: checkUserId(r.recipientId, `recipients.${i}.recipientId`), data: memberData(r.preferences) }));
      await deps.db.transaction((tx) => putMembers(tx, id, members, replace));
      return c.body(null, 204);
    });
  }
  routes.put('/lists/:id/subscriptions/:userId', policy(SMALL_BODY), async (c) => {
    const id = checkListId(c.req.param('id'));
    const userId = checkUserId(c.req.param('userId'));
    const { value } = await readBody(c, subscribeBody);
    await deps.db.transaction((tx) => putMember(tx, id, userId, memberData(value.preferences)));
    return c.body(null, 204);
  });
  routes.delete('/lists/:id/subscriptions/:userId', policy(0), async (c) => {
    const id = checkListId(c.req.param('id'));
    const userId = checkUserId(c.req.param('userId'));
    if (!(await deleteMember(deps.db, id, userId))) throw new HttpError(404, 'not_found', `"${userId}" is not subscribed to "${id}"`);
    return c.body(null, 204);
  });
}
