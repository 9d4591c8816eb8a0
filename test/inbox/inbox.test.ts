/**
 * The end user's inbox API against a real runtime: user tokens (good, expired, forged, someone else's),
 * the list and its state changes, the live stream (fed by a real send of `welcome-everywhere`, and across
 * processes by Postgres NOTIFY), presence, and the widget's assets.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sql from '../../runtime/db/sql.ts';
import { one } from '../../runtime/db/sql-client.ts';
import type { Runtime } from '../../runtime/server.ts';
import { signInboxToken, verifyInboxToken } from '../../runtime/inbox/token.ts';
import { client, eventually, startTestRuntime, type Api } from '../runtime/harness.ts';
import { openSse, type SseStream } from './sse.ts';
import { newTimeOrderedId } from '../../runtime/db/time-ordered-id.ts';

const SECRET = 'inbox-test-secret-0123456789abcdef';

interface Item {
  id: string;
  title: string;
  body: string;
  actionUrl: string | null;
  createdAt: string;
  readAt: string | null;
  archivedAt: string | null;
}
interface Page {
  items: Item[];
  unread: number;
  next: string | null;
}

describe('inbox API', () => {
  let runtime: Runtime;
  /** A second process on the same database (the stream's NOTIFY must reach it too). */
  let other: Runtime;
  /** A runtime with no HERALD_INBOX_SECRET. */
  let off: Runtime;
  let api: Api;
  const streams: SseStream[] = [];

  beforeAll(async () => {
    runtime = await startTestRuntime('inbox', { env: { HERALD_INBOX_SECRET: SECRET } });
    [other, off] = await Promise.all([
      startTestRuntime('inbox', { databaseUrl: runtime.db.url, env: { HERALD_INBOX_SECRET: SECRET } }),
      startTestRuntime('inbox', { databaseUrl: runtime.db.url, env: {} }),
    ]);
    api = client(runtime);
  });

  afterAll(async () => {
    for (const s of streams) s.close();
    await Promise.all([runtime?.stop(), other?.stop(), off?.stop()]);
  });

  const token = (userId: string, ttl = 600) => signInboxToken(SECRET, userId, ttl);

  /** The end user's view: their token, no API key. */
  async function inbox<T = Record<string, unknown>>(method: string, path: string, userToken: string | null, base: { url: string } = runtime) {
    const response = await fetch(`${base.url}${path}`, { method, headers: userToken ? { authorization: `Bearer ${userToken}` } : {} });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : null) as T };
  }

  async function stream(userToken: string, base: { url: string } = runtime, query = ''): Promise<SseStream> {
    const s = await openSse(`${base.url}/v1/inbox/stream?token=${encodeURIComponent(userToken)}${query}`);
    streams.push(s);
    return s;
  }

  /** `welcome-everywhere` for the user, through the public API; it sends in-app among others. */
  async function signUp(userId: string, firstName = 'Ada') {
    const r = await api('POST', '/v1/events', { event: 'user_signed_up', userId, properties: { first_name: firstName, signup_source: 'web' } });
    expect(r.status).toBe(202);
  }

  async function itemsOf(userId: string, count: number): Promise<Page> {
    const t = token(userId);
    return eventually(`${count} inbox items for ${userId}`, async () => {
      const page = await inbox<Page>('GET', '/v1/inbox?limit=100', t);
      return page.body.items.length >= count ? page.body : null;
    });
  }

  describe('tokens', () => {
    it('are base64url(JSON {userId, exp}) and a base64url HMAC-SHA256 of it', () => {
      const t = signInboxToken(SECRET, 'ada', 60, Date.parse('2030-01-01T00:00:00Z'));
      const [payload, mac, ...rest] = t.split('.');
      expect(rest).toHaveLength(0);
      expect(JSON.parse(Buffer.from(payload!, 'base64url').toString())).toEqual({ userId: 'ada', exp: Date.parse('2030-01-01T00:01:00Z') / 1000 });
      expect(mac).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(verifyInboxToken(SECRET, t, Date.parse('2030-01-01T00:00:59Z'))).toEqual({ ok: true, claim: { userId: 'ada', exp: 1893456060 } });
      expect(verifyInboxToken(SECRET, t, Date.parse('2030-01-01T00:01:00Z'))).toEqual({ ok: false, reason: 'expired token' });
    });

    it('accepts a good token in the header, and in ?token= on the stream only', async () => {
      const t = token('tok-good');
      expect((await inbox('GET', '/v1/inbox', t)).status).toBe(200);
      expect((await stream(t)).status).toBe(200);
      // More routes, and the 7-day lifetime on each request: auth.test.ts.
      expect(await inbox('GET', `/v1/inbox/count?token=${t}`, null)).toMatchObject({ status: 401, body: { error: { code: 'unauthorized' } } });
    });

    it('refuses missing, expired, forged and tampered tokens with 401', async () => {
      const missing = await inbox<{ error: { code: string } }>('GET', '/v1/inbox', null);
      expect(missing.status).toBe(401);
      expect(missing.headers.get('www-authenticate')).toContain('Bearer');

      const expired = signInboxToken(SECRET, 'tok-bad', 60, Date.now() - 3_600_000);
      expect(await inbox('GET', '/v1/inbox', expired)).toMatchObject({ status: 401, body: { error: { code: 'unauthorized', message: 'expired token' } } });

      const forged = signInboxToken('another-secret-0123456789abcdef', 'tok-bad', 600);
      expect(await inbox('GET', '/v1/inbox', forged)).toMatchObject({ status: 401, body: { error: { message: 'invalid signature' } } });

      // Someone else's claim under my signature.
      const [mine, mac] = token('tok-bad').split('.');
      const theirs = token('tok-victim').split('.')[0];
      expect(mine).not.toBe(theirs);
      expect((await inbox('GET', '/v1/inbox', `${theirs}.${mac}`)).status).toBe(401);

      expect((await inbox('GET', '/v1/inbox', 'not-a-token')).status).toBe(401);
      // The API key is not an inbox token.
      expect((await inbox('GET', '/v1/inbox', runtime.apiKey)).status).toBe(401);
      // Nor is a well-signed payload that is not an inbox claim (say, another kind of link signed with the same secret).
      const { createHmac } = await import('node:crypto');
      const other = Buffer.from(JSON.stringify({ kind: 'unsubscribe', userId: 'tok-bad', exp: 9_999_999_999 })).toString('base64url');
      expect((await inbox('GET', '/v1/inbox', `${other}.${createHmac('sha256', SECRET).update(other).digest('base64url')}`)).status).toBe(401);
    });

    it('answers 503 with a clear message when HERALD_INBOX_SECRET is not set', async () => {
      const r = await inbox<{ error: { code: string; message: string } }>('GET', '/v1/inbox', token('tok-off'), off);
      expect(r.status).toBe(503);
      expect(r.body.error.code).toBe('unavailable');
      expect(r.body.error.message).toContain('HERALD_INBOX_SECRET');
      expect((await inbox('GET', `/v1/inbox/stream?token=${token('tok-off')}`, null, off)).status).toBe(503);
    });
  });

  describe('list, read, unread, archive, count', () => {
    const user = `list-${randomUUID().slice(0, 8)}`;

    beforeAll(async () => {
      // One after the other, so their order is known.
      for (const name of ['First', 'Second', 'Third']) {
        await signUp(user, name);
        await itemsOf(user, ['First', 'Second', 'Third'].indexOf(name) + 1);
      }
    });

    it('lists newest first, in keyset pages, with the unread count', async () => {
      const t = token(user);
      const first = await inbox<Page>('GET', '/v1/inbox?limit=2', t);
      expect(first.status).toBe(200);
      expect(first.body.items.map((i) => i.title)).toEqual(['Welcome, Third', 'Welcome, Second']);
      expect(first.body.unread).toBe(3);
      expect(first.body.items[0]).toMatchObject({ body: expect.any(String), actionUrl: '/settings/profile', readAt: null, archivedAt: null });
      expect(first.body.next).toEqual(expect.any(String));
      const second = await inbox<Page>('GET', `/v1/inbox?limit=2&cursor=${first.body.next}`, t);
      expect(second.body.items.map((i) => i.title)).toEqual(['Welcome, First']);
      expect(second.body.next).toBeNull();
      expect((await inbox('GET', '/v1/inbox/count', t)).body).toEqual({ unread: 3 });
    });

    it('refuses a bad limit or cursor, and an id that is not a uuid', async () => {
      const t = token(user);
      expect((await inbox('GET', '/v1/inbox?limit=0', t)).status).toBe(400);
      expect((await inbox('GET', '/v1/inbox?cursor=nonsense', t)).status).toBe(400);
      expect((await inbox('POST', '/v1/inbox/not-a-uuid/read', t)).status).toBe(404);
      expect((await inbox('POST', `/v1/inbox/${randomUUID()}/read`, t)).status).toBe(404);
    });

    it('marks read and unread, and a second read keeps the first time', async () => {
      const t = token(user);
      const [newest] = (await inbox<Page>('GET', '/v1/inbox', t)).body.items;
      const read = await inbox<{ item: Item; unread: number }>('POST', `/v1/inbox/${newest!.id}/read`, t);
      expect(read.status).toBe(200);
      expect(read.body.item.readAt).toEqual(expect.any(String));
      expect(read.body.unread).toBe(2);
      const again = await inbox<{ item: Item }>('POST', `/v1/inbox/${newest!.id}/read`, t);
      expect(again.body.item.readAt).toBe(read.body.item.readAt);
      const unread = await inbox<{ item: Item; unread: number }>('POST', `/v1/inbox/${newest!.id}/unread`, t);
      expect(unread.body).toMatchObject({ item: { readAt: null }, unread: 3 });
    });

    it('archives: the item leaves the default list and the count, and ?archived=true lists it', async () => {
      const t = token(user);
      const items = (await inbox<Page>('GET', '/v1/inbox', t)).body.items;
      const oldest = items[items.length - 1]!;
      const archived = await inbox<{ item: Item; unread: number }>('POST', `/v1/inbox/${oldest.id}/archive`, t);
      expect(archived.body.item.archivedAt).toEqual(expect.any(String));
      expect(archived.body.unread).toBe(2);
      expect((await inbox<Page>('GET', '/v1/inbox', t)).body.items.map((i) => i.id)).not.toContain(oldest.id);
      const archive = await inbox<Page>('GET', '/v1/inbox?archived=true', t);
      expect(archive.body.items.map((i) => i.id)).toEqual([oldest.id]);
    });

    it('marks everything read at once', async () => {
      const t = token(user);
      const r = await inbox<{ updated: number; unread: number }>('POST', '/v1/inbox/read-all', t);
      expect(r.body).toEqual({ updated: 2, unread: 0 });
      expect((await inbox('GET', '/v1/inbox/count', t)).body).toEqual({ unread: 0 });
      // The archived one was left alone.
      expect((await inbox<Page>('GET', '/v1/inbox?archived=true', t)).body.items[0]!.readAt).toBeNull();
    });

    it("never reads or changes another user's inbox", async () => {
      const intruder = token(`intruder-${randomUUID().slice(0, 8)}`);
      const victim = (await inbox<Page>('GET', '/v1/inbox', token(user))).body.items[0]!;
      expect((await inbox<Page>('GET', '/v1/inbox', intruder)).body).toEqual({ items: [], unread: 0, next: null });
      for (const action of ['read', 'unread', 'archive']) {
        const r = await inbox('POST', `/v1/inbox/${victim.id}/${action}`, intruder);
        expect(r.status).toBe(404);
      }
      expect((await inbox<{ updated: number }>('POST', '/v1/inbox/read-all', intruder)).body.updated).toBe(0);
      const after = (await inbox<Page>('GET', '/v1/inbox', token(user))).body.items[0]!;
      expect(after).toEqual(victim);
    });
  });

  describe('stream', () => {
    it('starts with a snapshot, then receives a new item live after a send', async () => {
      const user = `live-${randomUUID().slice(0, 8)}`;
      const s = await stream(token(user));
      expect(s.status).toBe(200);
      expect(await s.next('snapshot')).toEqual({ items: [], unread: 0 });
      await signUp(user, 'Grace');
      const { item } = await s.next<{ item: Item }>('item');
      expect(item).toMatchObject({ title: 'Welcome, Grace', readAt: null, actionUrl: '/settings/profile' });
      expect(await s.next('unread', (d: { unread: number }) => d.unread === 1)).toEqual({ unread: 1 });

      // Read-state changes reach it too, whoever makes them.
      await inbox('POST', `/v1/inbox/${item.id}/read`, token(user));
      const updated = await s.next<{ item: Item }>('update', (d) => d.item.readAt !== null);
      expect(updated.item.id).toBe(item.id);
      await s.next('unread', (d: { unread: number }) => d.unread === 0);
      await inbox('POST', `/v1/inbox/${item.id}/archive`, token(user));
      expect(await s.next('remove')).toEqual({ id: item.id });
    });

    it('is served by every process: a change made through one reaches a stream on another', async () => {
      const user = `multi-${randomUUID().slice(0, 8)}`;
      await signUp(user, 'Barbara');
      const [item] = (await itemsOf(user, 1)).items;
      const s = await stream(token(user), other);
      expect(await s.next<{ items: Item[] }>('snapshot')).toMatchObject({ items: [{ id: item!.id }], unread: 1 });
      await inbox('POST', `/v1/inbox/${item!.id}/read`, token(user), runtime);
      await s.next<{ item: Item }>('update', (d) => d.item.id === item!.id && d.item.readAt !== null);
      await s.next('unread', (d: { unread: number }) => d.unread === 0);
    });

    it('hears writers other than Herald itself (the trigger is on the table)', async () => {
      const user = `writer-${randomUUID().slice(0, 8)}`;
      const s = await stream(token(user));
      await s.next('snapshot');
      const db = new pg.Client({ connectionString: runtime.db.url });
      await db.connect();
      try {
        await db.query('INSERT INTO herald.inbox (id, user_id, message_id, title, body) VALUES ($1, $2, $3, $4, $5)', [
          randomUUID(),
          user,
          randomUUID(),
          'From elsewhere',
          'Inserted by hand',
        ]);
      } finally {
        await db.end();
      }
      expect((await s.next<{ item: Item }>('item')).item.title).toBe('From elsewhere');
    });

    it("keeps the in-app provider's insert idempotent: a second hand-over adds nothing", async () => {
      const user = `twice-${randomUUID().slice(0, 8)}`;
      const s = await stream(token(user));
      await s.next('snapshot');
      const item = { userId: user, messageId: newTimeOrderedId(), title: 'Once', body: 'Only once', actionUrl: null };
      const first = await one<{ id: string }>(runtime.db, sql.insertInboxItem(item));
      const second = await one<{ id: string }>(runtime.db, sql.insertInboxItem(item));
      expect(second?.id).toBe(first?.id);
      await s.next('item');
      await s.next('unread', (d: { unread: number }) => d.unread === 1);
      expect(s.events.filter((e) => e.event === 'item')).toHaveLength(1);
      expect((await inbox<Page>('GET', '/v1/inbox', token(user))).body.items).toHaveLength(1);
    });

    it('counts as presence: opening it sets last_active_at', async () => {
      const user = `presence-${randomUUID().slice(0, 8)}`;
      await api('PUT', `/v1/users/${user}`, { email: `${user}@example.com` });
      expect((await api<{ user: { last_active_at: string | null } }>('GET', `/v1/users/${user}`)).body.user.last_active_at).toBeNull();
      const before = Date.now();
      const s = await stream(token(user));
      await s.next('snapshot');
      const after = await api<{ user: { last_active_at: string | null } }>('GET', `/v1/users/${user}`);
      expect(Date.parse(after.body.user.last_active_at!)).toBeGreaterThanOrEqual(before - 1_000);
    });

    it('refuses a bad token, and ends with "expired" when its token runs out', async () => {
      expect((await openSse(`${runtime.url}/v1/inbox/stream?token=${signInboxToken(SECRET, 'x', 60, Date.now() - 3_600_000)}`)).status).toBe(401);
      const s = await stream(token(`short-${randomUUID().slice(0, 8)}`, 2)); // 1 to 2 s left
      await s.next('snapshot');
      await s.next('expired', undefined, 5_000);
      await s.ended;
    });
  });

  describe('from other origins and as assets', () => {
    it('answers CORS preflights and carries CORS headers on errors', async () => {
      const preflight = await fetch(`${runtime.url}/v1/inbox/${randomUUID()}/read`, {
        method: 'OPTIONS',
        headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
      expect(preflight.headers.get('access-control-allow-headers')).toContain('authorization');
      const denied = await fetch(`${runtime.url}/v1/inbox`, { headers: { origin: 'https://app.example.com' } });
      expect(denied.status).toBe(401);
      expect(denied.headers.get('access-control-allow-origin')).toBe('*');
    });

    it('serves /inbox.js as JavaScript with caching headers and an ETag', async () => {
      const r = await fetch(`${runtime.url}/inbox.js`);
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
      expect(r.headers.get('cache-control')).toMatch(/public, max-age=\d+/);
      expect(await r.text()).toContain("customElements.define('herald-inbox'");
      const etag = r.headers.get('etag')!;
      expect(etag).toMatch(/^".+"$/);
      expect((await fetch(`${runtime.url}/inbox.js`, { headers: { 'if-none-match': etag } })).status).toBe(304);
    });

    it('serves the example page, putting only a well-formed token into it', async () => {
      const t = token('example-user');
      const page = await fetch(`${runtime.url}/inbox/example?token=${t}`);
      expect(page.headers.get('content-type')).toContain('text/html');
      expect(page.headers.get('referrer-policy')).toBe('no-referrer');
      expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
      const html = await page.text();
      expect(html).toContain(`<herald-inbox token="${t}"></herald-inbox>`);
      expect(html).toContain('<script src="/inbox.js" defer></script>');
      const hostile = await (await fetch(`${runtime.url}/inbox/example?token=${encodeURIComponent('"><script>alert(1)</script>')}`)).text();
      expect(hostile).not.toContain('<script>alert(1)');
      expect(hostile).not.toContain('<herald-inbox');
    });
  });

  // Last: it stops `other`.
  it('does not hold up shutdown: open streams end when the server stops', async () => {
    const s = await stream(token(`shutdown-${randomUUID().slice(0, 8)}`), other);
    await s.next('snapshot');
    const started = Date.now();
    await other.stop();
    await s.ended;
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
