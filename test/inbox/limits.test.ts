/**
 * What one end-user token may cost the runtime, against a real runtime over real HTTP: open streams are
 * capped per user and per process (429 with Retry-After; a stream that ends, however, frees its slot), and
 * presence is written at most once per user per window, through the streams' gate.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGate } from '../../runtime/inbox/gate.ts';
import { readInboxLimits } from '../../runtime/inbox/limits.ts';
import { createPresence, PRESENCE_EVERY_MS } from '../../runtime/inbox/presence.ts';
import { signInboxToken } from '../../runtime/inbox/token.ts';
import type { Runtime } from '../../runtime/server.ts';
import { client, eventually, startTestRuntime, type Api } from '../runtime/harness.ts';
import { openSse, type SseStream } from './sse.ts';

const SECRET = 'inbox-limits-secret-0123456789abcdef';

describe('inbox limits', () => {
  let runtime: Runtime;
  let api: Api;
  /** Added to the runtime's clock: presence's window passes without waiting for it. */
  let offset = 0;
  const clock = () => Date.now() + offset;
  const streams: SseStream[] = [];

  beforeAll(async () => {
    runtime = await startTestRuntime('inbox-limits', {
      env: { HERALD_INBOX_SECRET: SECRET, HERALD_INBOX_MAX_STREAMS_PER_USER: '2', HERALD_INBOX_MAX_STREAMS: '3' },
      now: clock,
    });
    api = client(runtime);
  });

  afterAll(async () => {
    for (const s of streams) s.close();
    await runtime?.stop();
  });

  const token = (userId: string, ttl = 600) => signInboxToken(SECRET, userId, ttl, clock());
  const streamUrl = (userToken: string) => `${runtime.url}/v1/inbox/stream?token=${encodeURIComponent(userToken)}`;

  async function open(userId: string, ttl?: number): Promise<SseStream> {
    const s = await openSse(streamUrl(token(userId, ttl)));
    streams.push(s);
    expect(s.status).toBe(200);
    await s.next('snapshot');
    return s;
  }

  /** A stream the caps refuse: its status, Retry-After and error. */
  async function refused(userId: string) {
    const abort = new AbortController();
    const r = await fetch(streamUrl(token(userId)), { headers: { accept: 'text/event-stream' }, signal: abort.signal });
    if (r.status === 200) {
      abort.abort(); // accepted: a stream, which would never end
      return { status: r.status, retryAfter: null, error: null };
    }
    const body = (await r.json()) as { error: { code: string; message: string } };
    return { status: r.status, retryAfter: r.headers.get('retry-after'), error: body.error };
  }

  /** A new stream is accepted again once the server has seen a closed one go. */
  const acceptedAgain = (userId: string) =>
    eventually(`a new stream for ${userId}`, async () => {
      const s = await openSse(streamUrl(token(userId)));
      streams.push(s);
      return s.status === 200 ? s : null;
    });

  describe('open streams', () => {
    it('are capped per user: past the cap 429 with Retry-After; closing one frees its slot', async () => {
      const user = `cap-${randomUUID().slice(0, 8)}`;
      const [first] = [await open(user), await open(user)];
      const over = await refused(user);
      expect(over).toMatchObject({ status: 429, retryAfter: '30', error: { code: 'rate_limited' } });
      expect(over.error?.message).toContain('HERALD_INBOX_MAX_STREAMS_PER_USER');
      // Refusals hold nothing: still refused while both are open, however often asked.
      expect((await refused(user)).status).toBe(429);

      first!.close();
      await first!.ended;
      const again = await acceptedAgain(user);
      await again.next('snapshot');
      expect((await refused(user)).status).toBe(429);
      for (const s of streams) s.close();
    });

    it('are capped per process, all users together', async () => {
      const users = ['a', 'b', 'c'].map((n) => `all-${n}-${randomUUID().slice(0, 8)}`);
      // Earlier streams of this file may still be closing on the server: wait until three fit.
      const held: SseStream[] = [];
      for (const user of users) held.push(await acceptedAgain(user));
      const late = `all-late-${randomUUID().slice(0, 8)}`;
      const over = await refused(late);
      expect(over).toMatchObject({ status: 429, retryAfter: '30', error: { code: 'rate_limited' } });
      expect(over.error?.message).toContain('HERALD_INBOX_MAX_STREAMS');
      expect(over.error?.message).not.toContain('PER_USER');

      held[1]!.close();
      const s = await acceptedAgain(late);
      await s.next('snapshot');
      for (const h of held) h.close();
      s.close();
    });

    it('give their slot back when their token expires', async () => {
      const user = `expiring-${randomUUID().slice(0, 8)}`;
      const held = await eventually('room for two streams', async () => {
        const [a, b] = [await openSse(streamUrl(token(user, 2))), await openSse(streamUrl(token(user, 2)))];
        streams.push(a, b);
        return a.status === 200 && b.status === 200 ? [a, b] : null;
      });
      await Promise.all(held.map((s) => s.next('expired', undefined, 5_000)));
      await (await acceptedAgain(user)).next('snapshot');
    });
  });

  describe('presence', () => {
    const lastActive = async (userId: string) =>
      (await api<{ user: { last_active_at: string | null } }>('GET', `/v1/users/${userId}`)).body.user.last_active_at;

    it('is written at most once per user per window, and kept fresh by an open stream', async () => {
      const user = `presence-${randomUUID().slice(0, 8)}`;
      const first = await eventually('a stream', async () => {
        const s = await openSse(streamUrl(token(user)));
        streams.push(s);
        return s.status === 200 ? s : null;
      });
      await first.next('snapshot');
      expect(await lastActive(user)).not.toBeNull();

      // Mark it long ago by hand: a reconnect inside the window must not write again.
      await runtime.db.query(`UPDATE herald.users SET last_active_at = '2000-01-01T00:00:00Z' WHERE id = $1`, [user]);
      first.close();
      await first.ended;
      const second = await acceptedAgain(user);
      await second.next('snapshot');
      expect(await lastActive(user)).toBe(new Date('2000-01-01T00:00:00Z').toISOString());

      // Once the window has passed, the open stream refreshes it by itself.
      offset += PRESENCE_EVERY_MS + 1_000;
      const fresh = await eventually('presence refreshed', async () => {
        const at = await lastActive(user);
        return at && Date.parse(at) > Date.parse('2001-01-01') ? at : null;
      });
      expect(Date.parse(fresh)).toBeGreaterThanOrEqual(clock() - 60_000);
      second.close();
    });

    it('writes through the gate, once for touches that come together', async () => {
      const user = `gated-${randomUUID().slice(0, 8)}`;
      const inner = createGate(1);
      let gated = 0;
      const presence = createPresence({
        db: runtime.db,
        gate: (task) => {
          gated++;
          return inner(task);
        },
        now: clock,
      });
      await Promise.all([presence.touch(user), presence.touch(user), presence.touch(user)]);
      await presence.touch(user);
      expect(gated).toBe(1);
      expect(await lastActive(user)).not.toBeNull();
      await presence.touch(`${user}-other`);
      expect(gated).toBe(2);
    });
  });

  it('refuses a bad limit at start, naming the variable', () => {
    expect(readInboxLimits({})).toEqual({ maxStreamsPerUser: 5, maxStreams: 1_000 });
    expect(readInboxLimits({ HERALD_INBOX_MAX_STREAMS_PER_USER: ' 3 ', HERALD_INBOX_MAX_STREAMS: '' })).toEqual({ maxStreamsPerUser: 3, maxStreams: 1_000 });
    expect(() => readInboxLimits({ HERALD_INBOX_MAX_STREAMS: 'lots' })).toThrow(/HERALD_INBOX_MAX_STREAMS "lots" is not a whole number/);
    expect(() => readInboxLimits({ HERALD_INBOX_MAX_STREAMS_PER_USER: '0' })).toThrow(/HERALD_INBOX_MAX_STREAMS_PER_USER "0"/);
    expect(() => readInboxLimits({ HERALD_INBOX_MAX_STREAMS_PER_USER: '2.5' })).toThrow(/HERALD_INBOX_MAX_STREAMS_PER_USER/);
  });
});
