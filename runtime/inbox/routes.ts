/**
 * The signed-in end user's inbox: its API and live stream under /v1/inbox (authorised by a user token the
 * customer's backend signs, runtime/inbox/token.ts, not by the API key), and the embeddable widget
 * (/inbox.js) with an example host page (/inbox/example). See runtime/inbox/README.md.
 *
 * Every statement is scoped by the token's user id, so an item id from another user's inbox is a 404,
 * exactly like one that does not exist.
 */
import type { Server } from 'node:net';
import type { Context } from 'hono';
import { cors } from 'hono/cors';
import { z } from 'zod';
import * as sql from '../db/sql.ts';
import { one, rows, type Statement } from '../db/sql-client.ts';
import { authenticate, inboxSecret } from './auth.ts';
import { isFresh, widgetScript } from './assets.ts';
import { EXAMPLE_CSP, examplePage } from './example.ts';
import { createGate } from './gate.ts';
import { createInboxHub } from './hub.ts';
import { readInboxLimits } from './limits.ts';
import { createPresence } from './presence.ts';
import { decodeCursor, encodeCursor, presentItem } from './present.ts';
import { openInboxStream } from './stream.ts';
import { createStreamSlots, takeStreamSlot } from './streams-cap.ts';
import type { AppDeps } from '../http/deps.ts';
import { createFeature, type Feature, type Router } from '../http/route.ts';
import { readBody } from '../http/body.ts';
import { HttpError, invalid } from '../http/errors.ts';
import { reportInboxEngagement, reportInboxSighting, type InboxEngagement } from './engagement.ts';

const listQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().min(1).optional(),
  archived: z.enum(['true', 'false']).default('false'),
});
const streamQuery = z.object({ limit: z.coerce.number().int().min(1).max(100).default(30) });
const itemId = z.uuid();
/** The items the list shows as it is opened: a page at most (the widget keeps up to 100 in view). */
const seenBody = z.strictObject({ ids: z.array(z.uuid()).min(1).max(100) });
/** 100 quoted UUIDs and commas are ~3.9 KB. */
const SEEN_BODY_BYTES = 8 * 1024;
const TOKEN_NOTE = 'HERALD_INBOX_SECRET-signed user token, Authorization: Bearer';

function query<S extends z.ZodType>(c: Context, schema: S): z.infer<S> {
  const parsed = schema.safeParse(c.req.query());
  if (!parsed.success) throw invalid(parsed.error, 'query');
  return parsed.data;
}

/**
 * The Node HTTP server this request came in on (node-server passes `{ incoming, outgoing }` as the env),
 * or null elsewhere. Open streams watch it: `server.close()` waits for every connection to end, so a
 * stream must end once the server stops listening, or shutting down would wait on the browsers.
 */
function serverOf(c: Context): Pick<Server, 'listening'> | null {
  const env: unknown = c.env;
  if (!env || typeof env !== 'object' || !('incoming' in env)) return null;
  const incoming = env.incoming as { socket?: { server?: unknown } } | undefined;
  const server = incoming?.socket?.server;
  return server && typeof server === 'object' && 'listening' in server ? (server as Pick<Server, 'listening'>) : null;
}

/** The inbox, its stream and widget, with CORS on /v1/inbox: a sub-app that runtime/http/app.ts mounts. */
export function inboxFeature(deps: AppDeps): Feature {
  return createFeature(deps, (routes) => inboxRoutes(routes, deps));
}

function inboxRoutes(routes: Router, deps: AppDeps): void {
  const hub = createInboxHub({ url: deps.db.directUrl ?? deps.db.url, onError: deps.log });
  const gate = createGate(4);
  const now = () => deps.driver.now();
  const slots = createStreamSlots(readInboxLimits(deps.env));
  const presence = createPresence({ db: deps.db, gate, now });
  // The token's user, and its tenant scope: a tenant's token reads that tenant's items, one without a tenant the
  // items sent without one (null), never another's (runtime/tenants/README.md).
  const user = (c: Context) => {
    const claim = authenticate(c, deps.env, now());
    return { userId: claim.userId, tenant: claim.tenant ?? null };
  };
  const unreadOf = async (userId: string, tenant: string | null) => (await one<{ n: number }>(deps.db, sql.unreadCount(userId, tenant)))?.n ?? 0;
  /** Items now in front of the user in a list or stream: each reported `delivered` the first time (engagement.ts). */
  const shown = async (userId: string, tenant: string | null, ids: readonly string[]) => {
    if (ids.length) await deps.db.transaction((tx) => reportInboxSighting(deps.driver, tx, userId, ids, 'delivered', tenant));
  };

  // The widget runs on the customer's pages, another origin. Bearer tokens, never cookies: any origin may
  // call, and what it can read is exactly what its token allows.
  const crossOrigin = cors({ origin: '*', allowMethods: ['GET', 'POST'], allowHeaders: ['authorization', 'content-type'], maxAge: 86_400 });
  routes.use('/v1/inbox', crossOrigin);
  routes.use('/v1/inbox/*', crossOrigin);

  routes.get('/v1/inbox', { auth: 'inbox-token', body: 0, note: TOKEN_NOTE }, async (c) => {
    const { userId, tenant } = user(c);
    const q = query(c, listQuery);
    const before = q.cursor === undefined ? null : decodeCursor(q.cursor);
    if (q.cursor !== undefined && !before) throw new HttpError(400, 'invalid_request', 'cursor is not one this API returned');
    const [page, unread] = await Promise.all([
      rows<sql.InboxItemRow>(deps.db, sql.inboxPage({ userId, archived: q.archived === 'true', before, limit: q.limit, tenant })),
      unreadOf(userId, tenant),
    ]);
    await shown(
      userId,
      tenant,
      page.filter((row) => row.delivered_at === null).map((row) => row.id),
    );
    const last = page[page.length - 1];
    return c.json({ items: page.map(presentItem), unread, next: page.length === q.limit && last ? encodeCursor(last) : null });
  });

  routes.get('/v1/inbox/count', { auth: 'inbox-token', body: 0, note: TOKEN_NOTE }, async (c) => {
    const { userId, tenant } = user(c);
    return c.json({ unread: await unreadOf(userId, tenant) });
  });

  routes.get(
    '/v1/inbox/stream',
    { auth: 'inbox-token', body: 0, note: 'user token in Authorization or ?token= (EventSource)', rate: 'open streams capped per user and per process' },
    async (c) => {
      const claim = authenticate(c, deps.env, now(), { query: true });
      const { limit } = query(c, streamQuery);
      const server = serverOf(c);
      return openInboxStream({
        db: deps.db,
        hub,
        gate,
        presence,
        // Freed by the stream when it ends, however it ends.
        onClose: takeStreamSlot(c, slots, claim.userId),
        userId: claim.userId,
        tenant: claim.tenant ?? null,
        expiresAt: claim.exp * 1000,
        limit,
        now,
        serverClosing: () => server !== null && !server.listening,
        shown: (ids) => shown(claim.userId, claim.tenant ?? null, ids),
        onError: deps.log,
      });
    },
  );

  routes.post('/v1/inbox/read-all', { auth: 'inbox-token', body: 0, note: TOKEN_NOTE }, async (c) => {
    const { userId, tenant } = user(c);
    const changed = await deps.db.transaction(async (tx) => {
      const read = await one<{ n: number; messages: string[] }>(tx, sql.readAllInbox(userId, tenant));
      await reportInboxEngagement(deps.driver, tx, userId, read?.messages ?? [], 'read');
      return read;
    });
    return c.json({ updated: changed?.n ?? 0, unread: await unreadOf(userId, tenant) });
  });

  // The list was opened: the items it shows (ids the client sends) become seen. Ids that are not the token's
  // user's items (someone else's, unknown, already seen) change nothing and are not told apart: `updated` counts
  // the user's own items seen for the first time.
  routes.post('/v1/inbox/seen', { auth: 'inbox-token', body: SEEN_BODY_BYTES, note: TOKEN_NOTE }, async (c) => {
    const { userId, tenant } = user(c);
    const { value } = await readBody(c, seenBody);
    const updated = await deps.db.transaction((tx) => reportInboxSighting(deps.driver, tx, userId, value.ids, 'seen', tenant));
    return c.json({ updated, unread: await unreadOf(userId, tenant) });
  });

  /** One item's state change; `report` is the engagement it is (reported in the same transaction). */
  const itemAction = (
    action: 'read' | 'unread' | 'archive' | 'click',
    statement: (userId: string, id: string, tenant: string | null) => Statement,
    report?: InboxEngagement,
  ) =>
    routes.post(`/v1/inbox/:id/${action}`, { auth: 'inbox-token', body: 0, note: TOKEN_NOTE }, async (c) => {
      const { userId, tenant } = user(c);
      const id = c.req.param('id');
      if (!itemId.safeParse(id).success) throw new HttpError(404, 'not_found', `no inbox item "${id}"`);
      const row = await deps.db.transaction(async (tx) => {
        const changed = await one<sql.InboxItemRow>(tx, statement(userId, id, tenant));
        if (changed && report) await reportInboxEngagement(deps.driver, tx, userId, [changed.message_id], report);
        return changed;
      });
      if (!row) throw new HttpError(404, 'not_found', `no inbox item "${id}"`);
      return c.json({ item: presentItem(row), unread: await unreadOf(userId, tenant) });
    });
  itemAction('read', (userId, id, tenant) => sql.setInboxItemRead(userId, id, true, tenant), 'read');
  itemAction('unread', (userId, id, tenant) => sql.setInboxItemRead(userId, id, false, tenant));
  itemAction('archive', (userId, id, tenant) => sql.archiveInboxItem(userId, id, tenant));
  // Following the action is reading it too: the item leaves the unread count, and `clicked` implies `read`.
  itemAction('click', (userId, id, tenant) => sql.setInboxItemRead(userId, id, true, tenant), 'clicked');

  // ── the widget and its example page ──
  routes.get('/inbox.js', { auth: 'none', body: 0, note: 'the widget script: public, the same for everyone' }, (c) => {
    const asset = widgetScript();
    const headers = {
      'content-type': asset.contentType,
      'cache-control': asset.cacheControl,
      etag: asset.etag,
      'x-content-type-options': 'nosniff',
      // Pages on other origins may load it as a module script too (which needs CORS).
      'access-control-allow-origin': '*',
    };
    if (isFresh(c.req.header('if-none-match'), asset.etag)) return c.body(null, 304, headers);
    return c.body(asset.body, 200, headers);
  });

  routes.get('/inbox/example', { auth: 'none', body: 0, note: 'an example host page; shows nothing without a valid user token' }, (c) => {
    // Same answer as the API when the inbox is not configured: the page would only show a broken bell.
    inboxSecret(deps.env);
    return c.html(examplePage(c.req.query('token')), 200, {
      'content-security-policy': EXAMPLE_CSP,
      // The token is in this page's URL: it must not leave in a Referer header, or sit in a cache.
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    });
  });
}
