/**
 * One user's live inbox: a Server-Sent Events response that starts with a snapshot and then sends what
 * changed. Notifications only say "this user's inbox changed" (hub.ts); the stream finds out what by
 * comparing the newest items and the ones it already sent with what it sent last. So it is right whatever
 * wrote the change (another process, another tab, a bulk update), a missed notification is repaired by the
 * next comparison, and a reconnecting EventSource simply gets a fresh snapshot (no event ids to replay).
 *
 * Events (each `data` is JSON):
 *   snapshot {items, unread}   first, on every (re)connect: the newest items outside the archive
 *   item     {item}            an item the client does not have (new, or back in view)
 *   update   {item}            an item the client has, changed (read, unread, retitled)
 *   remove   {id}              archived or deleted
 *   unread   {unread}          the unread count changed
 *   expired  {}                the token expired; the stream ends (reconnecting with it gets 401)
 *
 * While open the stream is the user's presence: `last_active_at` is set on open and every 30 s (at most
 * once per user per 30 s, however many streams they have open: presence.ts). Items it puts in the client's
 * hands for the first time anywhere are reported `delivered` (engagement.ts).
 */
import * as sql from '../db/sql.ts';
import { rows, type SqlClient } from '../db/sql-client.ts';
import type { Gate } from './gate.ts';
import type { InboxHub } from './hub.ts';
import type { Presence } from './presence.ts';
import { presentItem, type InboxItem } from './present.ts';

export const PING_EVERY_MS = 15_000;
/** Each stream compares this often even without a notification. */
export const CATCH_UP_EVERY_MS = 30_000;
/** Unsent output a stream may queue for a reader that does not keep up; past it the stream ends (the client reconnects). */
const MAX_BUFFERED_BYTES = 1 << 20;

export interface InboxStreamOptions {
  db: SqlClient;
  hub: InboxHub;
  /** Shared by the process's streams: how many comparisons run at once. */
  gate: Gate;
  /** Shared by the process's streams: marks the user active, throttled per user. */
  presence: Presence;
  userId: string;
  /** The token's tenant scope (null: items sent without a tenant); the hub wakes the stream for any of the user's items. */
  tenant?: string | null;
  /** When the token stops being valid, ms since the epoch. */
  expiresAt: number;
  /** How many of the newest items the client keeps in view. */
  limit: number;
  /** The runtime's clock (presence times, expiry). */
  now: () => number;
  /** True once the HTTP server stops accepting connections: open streams end so that it can close. */
  serverClosing: () => boolean;
  /**
   * Items the client now has that were never shown anywhere before: reported `delivered` (engagement.ts). Run
   * through the gate after the events are written; a failure is reported and retried by the next comparison.
   */
  shown?: (ids: string[]) => Promise<void>;
  onError: (error: unknown) => void;
  /** Called once when the stream ends, however it ends (including failing to open): frees its slot. */
  onClose?: () => void;
}

export const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  // no-transform: compressing proxies would buffer the events.
  'cache-control': 'no-cache, no-transform',
  // nginx buffers responses unless told otherwise.
  'x-accel-buffering': 'no',
};

/** Opens the stream: presence and the snapshot first, so a database outage is an error response, not a broken stream. */
export async function openInboxStream(o: InboxStreamOptions): Promise<Response> {
  const encoder = new TextEncoder();
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let closed = false;
  let unsubscribe = () => {};

  const body = new ReadableStream<Uint8Array>(
    {
      start: (c) => {
        controller = c;
      },
      // The client went away (node-server cancels the body when the connection closes).
      cancel: () => finish(),
    },
    new ByteLengthQueuingStrategy({ highWaterMark: 64 * 1024 }),
  );

  function finish() {
    if (closed) return;
    closed = true;
    unsubscribe();
    o.onClose?.();
    try {
      controller.close();
    } catch {
      // already closed or cancelled
    }
  }

  function write(chunk: string) {
    if (closed) return;
    controller.enqueue(encoder.encode(chunk));
    if ((controller.desiredSize ?? 0) < -MAX_BUFFERED_BYTES) finish();
  }
  const send = (event: string, data: unknown) => write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);

  // ── what the client has: item id → the item as last sent (JSON), and the unread count last sent ──
  const known = new Map<string, { json: string; createdAt: string }>();
  let lastUnread: number | null = null;

  async function compare(first: boolean) {
    if (closed) return;
    const window = await o.gate(() =>
      rows<sql.InboxItemRow & { unread: number }>(o.db, sql.inboxWindow(o.userId, [...known.keys()], o.limit, o.tenant ?? null)),
    );
    if (closed) return;
    const unread = window[0]?.unread ?? 0;
    const items = window.map(presentItem).sort(newestFirst);
    // Every item of the window outside the archive is in the client's hands once this comparison's events are out.
    const fresh = window.filter((row) => row.archived_at === null && row.delivered_at === null).map((row) => row.id);
    if (first) {
      const visible = items.filter((i) => i.archivedAt === null);
      for (const item of visible) known.set(item.id, { json: JSON.stringify(item), createdAt: item.createdAt });
      send('snapshot', { items: visible, unread });
      lastUnread = unread;
      await reportShown(fresh);
      return;
    }
    const seen = new Set<string>();
    // Oldest first, so a client that prepends gets them in order.
    for (const item of [...items].reverse()) {
      seen.add(item.id);
      const before = known.get(item.id);
      if (item.archivedAt !== null) {
        if (before) {
          known.delete(item.id);
          send('remove', { id: item.id });
        }
        continue;
      }
      const json = JSON.stringify(item);
      if (!before) send('item', { item });
      else if (before.json !== json) send('update', { item });
      else continue;
      known.set(item.id, { json, createdAt: item.createdAt });
    }
    for (const id of [...known.keys()]) {
      if (!seen.has(id)) {
        known.delete(id); // deleted (retention)
        send('remove', { id });
      }
    }
    forgetOldest();
    if (unread !== lastUnread) {
      lastUnread = unread;
      send('unread', { unread });
    }
    await reportShown(fresh);
  }

  async function reportShown(ids: string[]) {
    if (!o.shown || !ids.length || closed) return;
    const shown = o.shown;
    try {
      await o.gate(() => shown(ids));
    } catch (error) {
      // The stream goes on: the items stay unclaimed, and the next comparison reports them.
      o.onError(error);
    }
  }

  /** Items pushed far out of view stop being followed, so each comparison stays a bounded query. */
  function forgetOldest() {
    const cap = o.limit * 2;
    if (known.size <= cap) return;
    const oldest = [...known.entries()].sort((a, b) => (a[1].createdAt < b[1].createdAt ? -1 : 1));
    for (const [id] of oldest.slice(0, known.size - cap)) known.delete(id);
  }

  // ── comparisons, one at a time: changes arriving during one make one more afterwards ──
  let running: Promise<void> | null = null;
  let again = false;
  let failing = false;
  function changed() {
    if (closed) return;
    if (running) {
      again = true;
      return;
    }
    running = (async () => {
      do {
        again = false;
        try {
          await compare(false);
          failing = false;
        } catch (error) {
          // Reported once per outage, not once per notification; the next tick or notification retries.
          if (!failing) o.onError(error);
          failing = true;
        }
      } while (again && !closed);
      running = null;
    })();
  }

  // ── the clock: keep-alives, presence, expiry, shutdown ──
  let lastPing = Date.now();
  let lastCatchUp = Date.now();
  function tick(nowMs: number) {
    if (closed) return;
    if (o.serverClosing()) return finish();
    if (o.now() >= o.expiresAt) {
      send('expired', {});
      return finish();
    }
    if (nowMs - lastPing >= PING_EVERY_MS) {
      lastPing = nowMs;
      write(': ping\n\n');
    }
    // Every tick: presence.ts writes only when this user's last write is 30 s old, so presence stays as
    // fresh as its window allows, whatever the number of the user's streams.
    o.presence.touch(o.userId).catch((error: unknown) => {
      if (!failing) o.onError(error);
    });
    if (nowMs - lastCatchUp >= CATCH_UP_EVERY_MS) {
      lastCatchUp = nowMs;
      // The floor under live delivery: whatever a lost notification hid shows up within 30 s.
      changed();
    }
  }

  try {
    unsubscribe = o.hub.subscribe(o.userId, { changed, tick });
    await o.presence.touch(o.userId);
    write('retry: 3000\n\n');
    running = compare(true);
    await running;
    running = null;
  } catch (error) {
    finish();
    throw error;
  }
  // Notifications that came during the snapshot.
  if (again) changed();
  return new Response(body, { status: 200, headers: SSE_HEADERS });
}

const newestFirst = (a: InboxItem, b: InboxItem) => (a.createdAt === b.createdAt ? (a.id < b.id ? 1 : -1) : a.createdAt < b.createdAt ? 1 : -1);
