/**
 * Token rules on every inbox route, against a real runtime over real HTTP: the 7-day lifetime is enforced
 * on each request (not only by signInboxToken), `?token=` is taken only by the stream, expired and forged
 * tokens are 401 everywhere, and one user's token neither reads nor changes another's items (404).
 */
import { createHmac, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sql from '../../runtime/db/sql.ts';
import { one } from '../../runtime/db/sql-client.ts';
import { MAX_INBOX_TOKEN_TTL_SECONDS, signInboxToken, TOO_LONG_LIVED } from '../../runtime/inbox/token.ts';
import type { Runtime } from '../../runtime/server.ts';
import { startTestRuntime } from '../runtime/harness.ts';
import { openSse, type SseStream } from './sse.ts';
import { newTimeOrderedId } from '../../runtime/db/time-ordered-id.ts';

const SECRET = 'inbox-auth-secret-0123456789abcdef';

/** What a customer's backend might sign by hand: any claim, any expiry (signInboxToken refuses over 7 days). */
function signRaw(claim: unknown, secret = SECRET): string {
  const payload = Buffer.from(JSON.stringify(claim)).toString('base64url');
  return `${payload}.${createHmac('sha256', secret).update(payload).digest('base64url')}`;
}
const inSeconds = (seconds: number) => Math.floor(Date.now() / 1000) + seconds;

interface ErrorBody {
  error: { code: string; message: string };
}

describe('inbox tokens on every route', () => {
  let runtime: Runtime;
  const owner = `owner-${randomUUID().slice(0, 8)}`;
  let itemId = '';
  const streams: SseStream[] = [];

  beforeAll(async () => {
    runtime = await startTestRuntime('inbox-auth', { env: { HERALD_INBOX_SECRET: SECRET } });
    const item = { userId: owner, messageId: newTimeOrderedId(), title: 'Yours only', body: 'Private', actionUrl: null };
    itemId = (await one<{ id: string }>(runtime.db, sql.insertInboxItem(item)))!.id;
  });

  afterAll(async () => {
    for (const s of streams) s.close();
    await runtime?.stop();
  });

  const apiRoutes = () =>
    [
      ['GET', '/v1/inbox'],
      ['GET', '/v1/inbox/count'],
      ['POST', '/v1/inbox/read-all'],
      ['POST', `/v1/inbox/${itemId}/read`],
      ['POST', `/v1/inbox/${itemId}/unread`],
      ['POST', `/v1/inbox/${itemId}/archive`],
    ] as const;

  async function call(method: string, path: string, headers: Record<string, string> = {}) {
    const response = await fetch(`${runtime.url}${path}`, { method, headers });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : null) as ErrorBody };
  }
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  /** The stream's answer to a token in its URL: 200 (a stream, closed at the end of the file) or the error. */
  async function stream(token: string) {
    const s = await openSse(`${runtime.url}/v1/inbox/stream?token=${encodeURIComponent(token)}`);
    streams.push(s);
    if (s.status === 200) return { status: 200, body: null };
    const again = await call('GET', `/v1/inbox/stream?token=${encodeURIComponent(token)}`);
    return { status: s.status, body: again.body };
  }

  it('refuses a token that lives longer than 7 days on every route, the stream included', async () => {
    const tooLong = signRaw({ userId: owner, exp: inSeconds(MAX_INBOX_TOKEN_TTL_SECONDS + 3_600) });
    for (const [method, path] of apiRoutes()) {
      const r = await call(method, path, bearer(tooLong));
      expect({ route: `${method} ${path}`, status: r.status, message: r.body.error.message }).toEqual({
        route: `${method} ${path}`,
        status: 401,
        message: TOO_LONG_LIVED,
      });
      expect(r.headers.get('www-authenticate')).toContain('Bearer');
    }
    expect(await stream(tooLong)).toEqual({ status: 401, body: { error: { code: 'unauthorized', message: TOO_LONG_LIVED } } });
    // The longest token signInboxToken makes is still good.
    const longest = signInboxToken(SECRET, owner, MAX_INBOX_TOKEN_TTL_SECONDS);
    expect((await call('GET', '/v1/inbox/count', bearer(longest))).status).toBe(200);
    expect((await stream(longest)).status).toBe(200);
  });

  it('takes ?token= only on the stream; elsewhere it is 401, saying to use the header', async () => {
    const token = signInboxToken(SECRET, owner, 600);
    for (const [method, path] of apiRoutes()) {
      for (const headers of [{}, bearer(token)]) {
        // Refused even beside a good header: the token has been put in a URL, which the client must stop doing.
        const r = await call(method, `${path}?token=${token}`, headers);
        expect({ route: `${method} ${path}`, status: r.status }).toEqual({ route: `${method} ${path}`, status: 401 });
        expect(r.body.error.message).toContain('Authorization: Bearer');
        expect(r.body.error.message).toContain('/v1/inbox/stream');
      }
    }
    expect((await stream(token)).status).toBe(200);
    expect((await call('GET', '/v1/inbox/count', bearer(token))).status).toBe(200);
  });

  it('refuses expired and forged tokens with 401 on every route', async () => {
    const expired = signRaw({ userId: owner, exp: inSeconds(-60) });
    const forged = signRaw({ userId: owner, exp: inSeconds(600) }, 'not-the-secret-0123456789abcdef');
    for (const [token, message] of [
      [expired, 'expired token'],
      [forged, 'invalid signature'],
    ] as const) {
      for (const [method, path] of apiRoutes()) {
        const r = await call(method, path, bearer(token));
        expect({ route: `${method} ${path}`, status: r.status, message: r.body.error.message }).toEqual({ route: `${method} ${path}`, status: 401, message });
      }
      expect(await stream(token)).toEqual({ status: 401, body: { error: { code: 'unauthorized', message } } });
    }
  });

  it("answers 404 for another user's item, and never shows or changes it", async () => {
    const intruder = signInboxToken(SECRET, `intruder-${randomUUID().slice(0, 8)}`, 600);
    for (const action of ['read', 'unread', 'archive']) {
      const r = await call('POST', `/v1/inbox/${itemId}/${action}`, bearer(intruder));
      expect(r).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } });
    }
    expect((await call('GET', '/v1/inbox', bearer(intruder))).body).toEqual({ items: [], unread: 0, next: null });
    const s = await openSse(`${runtime.url}/v1/inbox/stream?token=${intruder}`);
    streams.push(s);
    expect(await s.next('snapshot')).toEqual({ items: [], unread: 0 });
    const mine = (await call('GET', '/v1/inbox', bearer(signInboxToken(SECRET, owner, 600)))).body as unknown as {
      items: { id: string; readAt: string | null; archivedAt: string | null }[];
    };
    expect(mine.items).toEqual([expect.objectContaining({ id: itemId, readAt: null, archivedAt: null })]);
  });
});
