/**
 * Segment as a source: Segment's own Node library (@segment/analytics-node, pointed at the runtime with
 * `host`) and raw HTTP calls against a live runtime, with the welcome email going out through @sendgrid/mail
 * to a local fake of SendGrid. Write keys, Segment's limits, batches with bad calls, messageId retries,
 * identify/alias/group/page onto profiles and presence, and the signed webhook destination.
 */
import { createHmac } from 'node:crypto';
import { Analytics } from '@segment/analytics-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activityTime } from '../../runtime/segment/clock.ts';
import { isAllowedWriteKey, writeKeyFromHeader, writeKeysFrom } from '../../runtime/segment/auth.ts';
import { snakeCase } from '../../runtime/segment/names.ts';
import type { Runtime } from '../../runtime/server.ts';
import { startFakeSendgrid, type FakeProvider } from '../fakes/providers.ts';
import { client, eventually, messagesOf, startTestRuntime, type Api } from '../runtime/harness.ts';

const WRITE_KEY = 'wk_test_0123456789';
const OTHER_KEY = 'wk_rotated_abcdef';
const SHARED_SECRET = 'segment-shared-secret';
const SENDGRID_KEY = 'SG.segment-test-key';

let sendgrid: FakeProvider;
let runtime: Runtime;
let api: Api;
let analytics: Analytics;

beforeAll(async () => {
  sendgrid = await startFakeSendgrid({ apiKey: SENDGRID_KEY });
  runtime = await startTestRuntime('segment', {
    env: {
      // Two keys (rotation), the second written as a copied Basic pair `key:`.
      SEGMENT_WRITE_KEY: `${WRITE_KEY}, ${OTHER_KEY}:`,
      SEGMENT_SHARED_SECRET: SHARED_SECRET,
      SENDGRID_API_KEY: SENDGRID_KEY,
      SENDGRID_API_URL: sendgrid.url,
    },
  });
  api = client(runtime);
  analytics = new Analytics({ writeKey: WRITE_KEY, host: runtime.url, flushAt: 1, maxRetries: 1 });
}, 60_000);

afterAll(async () => {
  await analytics?.closeAndFlush({ timeout: 5_000 });
  await runtime?.stop();
  await sendgrid?.close();
});

type Done = (err?: unknown) => void;
/** Resolves once the library has delivered the call (flushAt: 1 sends each call at once), rejects when it gave up. */
function delivered(call: (done: Done) => void): Promise<void> {
  return new Promise((resolve, reject) => call((err) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve())));
}

const basic = (credentials: string) => `Basic ${Buffer.from(credentials).toString('base64')}`;

async function post(path: string, body: unknown, headers: Record<string, string> = { authorization: basic(`${WRITE_KEY}:`) }) {
  const response = await fetch(`${runtime.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : null) as Record<string, unknown> & { herald?: BatchExtension } };
}

interface BatchExtension {
  accepted: number;
  duplicates: number;
  rejected: { index: number; type?: string; messageId?: string; reason: string }[];
}

async function profile(userId: string) {
  const r = await api<{ user: Record<string, unknown> & { traits: Record<string, unknown>; push_tokens: string[] } }>('GET', `/v1/users/${userId}`);
  return r.status === 200 ? r.body.user : null;
}

async function runsOf(userId: string) {
  const { rows } = await runtime.db.query<{ workflow: string; trigger_event: string }>('SELECT workflow, trigger_event FROM herald.runs WHERE user_id = $1', [
    userId,
  ]);
  return rows;
}

const welcomeFor = (email: string) =>
  sendgrid.requests.find((r) => (r.body as { personalizations?: { to: { email: string }[] }[] })?.personalizations?.[0]?.to[0]?.email === email);

describe('the Segment Node library against Herald', () => {
  it('identify then track("trial_started"): the welcome email reaches SendGrid with the first name rendered', async () => {
    await delivered((done) =>
      analytics.identify(
        {
          userId: 'seg-ada',
          traits: { email: 'seg-ada@example.com', first_name: 'Ada', role: 'Analyst' },
          context: { timezone: 'Europe/London', locale: 'en-GB', device: { token: 'device-token-1' } } as Record<string, unknown>,
        },
        done,
      ),
    );
    const user = await profile('seg-ada');
    expect(user).toMatchObject({
      email: 'seg-ada@example.com',
      timezone: 'Europe/London',
      locale: 'en-GB',
      push_tokens: ['device-token-1'],
      traits: { first_name: 'Ada', role: 'Analyst' },
    });
    // email went to its column, not into traits; a server library's identify is not presence (runtime/segment/presence.ts).
    expect(user!.traits.email).toBeUndefined();
    expect(user!.last_active_at).toBeNull();

    await delivered((done) => analytics.track({ userId: 'seg-ada', event: 'trial_started', properties: { first_name: 'Ada', plan_type: 'pro' } }, done));
    const mail = await eventually('the welcome email at SendGrid', async () => welcomeFor('seg-ada@example.com'));
    const sent = mail.body as { subject?: string; personalizations: { subject?: string }[]; content?: { type: string; value: string }[] };
    expect(sent.subject ?? sent.personalizations[0]!.subject).toBe('Welcome aboard, Ada');
    expect(sent.content?.find((c) => c.type === 'text/plain')?.value).toContain('Hi Ada, welcome to the pro plan!');
    // SendGrid has it before the run's transaction (and its message log) commits.
    const welcome = await eventually('the welcome message logged', async () => (await messagesOf(api, 'seg-ada')).find((m) => m.step === 'welcome'));
    expect(welcome).toMatchObject({ status: 'sent', provider: 'sendgrid' });
  });

  it('matches "Trial Started" to the bundle event trial_started (exact name first, then snake_case)', async () => {
    await delivered((done) =>
      analytics.track({ anonymousId: 'anon-title-case', event: 'Trial Started', properties: { first_name: 'Grace', plan_type: 'free' } }, done),
    );
    expect(await runsOf('anon-title-case')).toEqual([{ workflow: 'onboarding', trigger_event: 'trial_started' }]);
  });

  it('a retried call (same messageId) starts one run', async () => {
    const call = { userId: 'seg-retry', event: 'trial_started', properties: { first_name: 'Alan', plan_type: 'team' }, messageId: 'msg-retry-1' };
    await delivered((done) => analytics.track(call, done));
    await delivered((done) => analytics.track(call, done));
    expect(await runsOf('seg-retry')).toHaveLength(1);
    // The same over raw HTTP: the batch reports it as a duplicate.
    const again = await post('/v1/batch', { batch: [{ type: 'track', ...call }] });
    expect(again.body.herald).toMatchObject({ accepted: 0, duplicates: 1, rejected: [] });
    expect(await runsOf('seg-retry')).toHaveLength(1);
  });

  it('a wrong write key is refused (401) and the library reports the failure', async () => {
    const wrong = new Analytics({ writeKey: 'wk_wrong', host: runtime.url, flushAt: 1, maxRetries: 0 });
    const statuses: number[] = [];
    wrong.on('http_response', (r) => statuses.push(r.status));
    await expect(
      delivered((done) => wrong.track({ userId: 'seg-wrong', event: 'trial_started', properties: { first_name: 'X', plan_type: 'pro' } }, done)),
    ).rejects.toThrow(/401/);
    expect(statuses).toEqual([401]);
    expect(await runsOf('seg-wrong')).toHaveLength(0);
    await wrong.closeAndFlush({ timeout: 1_000 });
  });

  it('alias merges the anonymous profile into the identified one', async () => {
    await delivered((done) =>
      analytics.identify(
        {
          anonymousId: 'anon-merge',
          traits: { email: 'merge@example.com', plan: 'free', seen: 'pricing' },
          context: { device: { token: 'tok-anon' } } as Record<string, unknown>,
        },
        done,
      ),
    );
    expect((await api('PUT', '/v1/users/anon-merge/preferences', { categories: { onboarding: { sms: false } } })).status).toBe(200);
    await delivered((done) =>
      analytics.identify(
        { userId: 'user-merge', traits: { phone: '+15555550123', plan: 'pro' }, context: { device: { token: 'tok-user' } } as Record<string, unknown> },
        done,
      ),
    );
    await delivered((done) => analytics.alias({ previousId: 'anon-merge', userId: 'user-merge' }, done));

    const merged = await profile('user-merge');
    expect(merged).toMatchObject({
      email: 'merge@example.com', // the target had none
      phone_number: '+15555550123',
      traits: { plan: 'pro', seen: 'pricing' }, // the target's traits win, the others are kept
    });
    expect([...merged!.push_tokens].sort()).toEqual(['tok-anon', 'tok-user']);
    expect(await profile('anon-merge')).toBeNull();
    const prefs = await api<{ categories: Record<string, { channels: Record<string, { allowed: boolean }> }> }>('GET', '/v1/users/user-merge/preferences');
    expect(prefs.body.categories.onboarding!.channels.sms!.allowed).toBe(false);
  });

  it('page and screen mark the user active; group keeps the group traits', async () => {
    await delivered((done) => analytics.page({ userId: 'seg-pager', name: 'Pricing' }, done));
    const seen = await profile('seg-pager');
    expect(Date.now() - Date.parse(String(seen!.last_active_at))).toBeLessThan(10_000);

    await delivered((done) => analytics.group({ userId: 'seg-pager', groupId: 'acme', traits: { name: 'Acme', plan: 'team' } }, done));
    expect((await profile('seg-pager'))!.traits).toMatchObject({ groups: { acme: { name: 'Acme', plan: 'team' } } });
  });
});

describe('the Tracking API over raw HTTP', () => {
  it('answers 200 { success: true } for every call type, with any allowed key in any accepted form', async () => {
    const calls: [string, Record<string, unknown>, Record<string, string>][] = [
      ['/v1/identify', { userId: 'raw-1', traits: { first_name: 'Raw' } }, { authorization: basic(`${WRITE_KEY}:`) }],
      [
        '/v1/track',
        { userId: 'raw-1', event: 'cart_abandoned', properties: { cart_id: 'c1', item_count: 1, cart_url: 'https://x/c1' } },
        { authorization: basic(WRITE_KEY) },
      ],
      ['/v1/page', { userId: 'raw-1', name: 'Home' }, { authorization: basic(`${OTHER_KEY}:`) }],
      ['/v1/screen', { userId: 'raw-1', name: 'Home', writeKey: WRITE_KEY }, {}],
      ['/v1/group', { userId: 'raw-1', groupId: 'g1', traits: {}, writeKey: OTHER_KEY }, {}],
      ['/v1/alias', { userId: 'raw-1', previousId: 'raw-0' }, { authorization: basic(`${WRITE_KEY}:`) }],
    ];
    for (const [path, body, headers] of calls) {
      const r = await post(path, body, headers);
      expect([path, r.status, r.body]).toEqual([path, 200, { success: true }]);
    }
  });

  it("refuses a missing or wrong key with 401 in Segment's error shape", async () => {
    const track = { userId: 'raw-2', event: 'trial_started', properties: { first_name: 'A', plan_type: 'pro' } };
    for (const headers of [{}, { authorization: basic('wk_nope:') }, { authorization: 'Bearer test-key-0123456789' }] as Record<string, string>[]) {
      const r = await post('/v1/track', track, headers);
      expect(r.status).toBe(401);
      expect(r.body).toMatchObject({ success: false, message: expect.any(String) });
    }
    expect((await post('/v1/track', { ...track, writeKey: 'wk_nope' }, {})).status).toBe(401);
    // A wrong header key is not rescued by a right body key: the header decides.
    expect((await post('/v1/track', { ...track, writeKey: WRITE_KEY }, { authorization: basic('wk_nope:') })).status).toBe(401);
    expect(await runsOf('raw-2')).toHaveLength(0);
  });

  it('refuses malformed JSON (400), and an invalid single call with its reason (400)', async () => {
    const bad = await post('/v1/track', '{"userId": "raw-3", ');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ success: false, message: expect.stringMatching(/not valid JSON/) });

    const invalid = await post('/v1/track', { userId: 'raw-3', event: 'trial_started', properties: { first_name: 'A', plan_type: 'gold' } });
    expect(invalid.status).toBe(400);
    expect(invalid.body.message).toMatch(/plan_type/);
    const anonymous = await post('/v1/track', { event: 'trial_started', properties: {} });
    expect(anonymous.status).toBe(400);
    expect(anonymous.body.message).toMatch(/userId or an anonymousId/);
    expect(await runsOf('raw-3')).toHaveLength(0);
  });

  it('enforces 32 KB per call and 500 KB per batch (400)', async () => {
    const big = 'x'.repeat(33 * 1024);
    const call = await post('/v1/track', { userId: 'raw-4', event: 'big', properties: { big } });
    expect(call.status).toBe(400);
    expect(call.body).toMatchObject({ success: false, message: expect.stringMatching(/32 KB/) });

    const events = Array.from({ length: 20 }, (_, i) => ({ type: 'track', userId: 'raw-4', event: 'big', properties: { chunk: 'y'.repeat(30 * 1024), i } }));
    const batch = await post('/v1/batch', { batch: events });
    expect(batch.status).toBe(400);
    expect(batch.body).toMatchObject({ success: false, message: expect.stringMatching(/500 KB/) });
    expect(await runsOf('raw-4')).toHaveLength(0);
  });

  it('a batch with bad calls accepts the good ones and lists the others with reasons', async () => {
    const r = await post('/v1/batch', {
      context: { timezone: 'America/New_York' },
      batch: [
        { type: 'identify', userId: 'raw-5', traits: { email: 'raw-5@example.com', first_name: 'Bea' } },
        { type: 'track', userId: 'raw-5', event: 'trial_started', properties: { first_name: 'Bea', plan_type: 'gold' }, messageId: 'bad-props' },
        { type: 'track', event: 'trial_started', properties: { first_name: 'Bea', plan_type: 'pro' } },
        { type: 'track', userId: 'raw-5', event: 'big', properties: { big: 'z'.repeat(33 * 1024) } },
        { type: 'identify', userId: 'raw-5b', traits: { email: 'not-an-email' } },
        { type: 'fly', userId: 'raw-5' },
        { type: 'track', userId: 'raw-5', event: 'trial_started', properties: { first_name: 'Bea', plan_type: 'pro' } },
      ],
    });
    expect(r.status).toBe(200);
    expect(r.body.success).toBe(true);
    expect(r.body.herald!.accepted).toBe(2);
    expect(r.body.herald!.rejected.map((x) => x.index)).toEqual([1, 2, 3, 4, 5]);
    const [props, ids, size, email, type] = r.body.herald!.rejected;
    expect(props).toMatchObject({ type: 'track', messageId: 'bad-props', reason: expect.stringMatching(/plan_type/) });
    expect(ids!.reason).toMatch(/userId or an anonymousId/);
    expect(size!.reason).toMatch(/32 KB/);
    expect(email!.reason).toMatch(/traits\.email/);
    expect(type!.reason).toMatch(/"type" must be one of/);

    // The batch's context applies to its calls; the good track started the onboarding.
    expect(await profile('raw-5')).toMatchObject({ email: 'raw-5@example.com', timezone: 'America/New_York', traits: { first_name: 'Bea' } });
    expect(await runsOf('raw-5')).toEqual([{ workflow: 'onboarding', trigger_event: 'trial_started' }]);
    expect(await profile('raw-5b')).toBeNull();
  });

  it('applies a batch in order around an alias: the anonymous profile becomes the new user before its track', async () => {
    const r = await post('/v1/batch', {
      batch: [
        { type: 'identify', anonymousId: 'anon-order', traits: { email: 'order@example.com', first_name: 'Ola' } },
        { type: 'page', anonymousId: 'anon-order', name: 'Signup' },
        { type: 'alias', previousId: 'anon-order', userId: 'user-order' },
        { type: 'track', userId: 'user-order', event: 'Trial Started', properties: { first_name: 'Ola', plan_type: 'pro' } },
      ],
    });
    expect(r.body.herald).toMatchObject({ accepted: 4, rejected: [] });
    // The target had no profile: it is the anonymous one, renamed.
    expect(await profile('user-order')).toMatchObject({ email: 'order@example.com', traits: { first_name: 'Ola' } });
    expect(await profile('anon-order')).toBeNull();
    await eventually('the welcome email to the aliased user', async () => welcomeFor('order@example.com'));
  });

  it('corrects the device clock with sentAt for presence, as Segment does', async () => {
    // A device whose clock is an hour ahead: it saw the page 10 minutes before it sent the batch.
    const skewed = Date.now() + 3_600_000;
    await post('/v1/batch', {
      sentAt: new Date(skewed).toISOString(),
      batch: [{ type: 'page', userId: 'raw-6', name: 'Home', originalTimestamp: new Date(skewed - 600_000).toISOString() }],
    });
    const at = Date.parse(String((await profile('raw-6'))!.last_active_at));
    expect(Math.abs(at - (Date.now() - 600_000))).toBeLessThan(15_000);
  });
});

describe('the Segment webhook destination', () => {
  const sign = (body: string) => createHmac('sha1', SHARED_SECRET).update(body).digest('hex');
  const deliver = (body: string, headers: Record<string, string>) => post('/webhooks/segment', body, headers);

  it('applies a signed call and a signed batch', async () => {
    const one = JSON.stringify({
      type: 'track',
      userId: 'hook-1',
      event: 'trial_started',
      properties: { first_name: 'Hook', plan_type: 'pro' },
      messageId: 'hook-m1',
    });
    expect(await deliver(one, { 'x-signature': sign(one) })).toMatchObject({ status: 200, body: { success: true } });
    expect(await runsOf('hook-1')).toHaveLength(1);

    const many = JSON.stringify([
      { type: 'identify', userId: 'hook-2', traits: { email: 'hook-2@example.com' } },
      { type: 'track', userId: 'hook-2', event: 'trial_started', properties: { first_name: 'Hook' } },
    ]);
    const r = await deliver(many, { 'x-signature': sign(many) });
    expect(r.status).toBe(200);
    expect(r.body.herald).toMatchObject({ accepted: 1, rejected: [{ index: 1, reason: expect.stringMatching(/plan_type/) }] });
    expect((await profile('hook-2'))!.email).toBe('hook-2@example.com');
  });

  it('refuses a missing signature (401) and a forged one (403), applying nothing', async () => {
    const body = JSON.stringify({ type: 'track', userId: 'hook-3', event: 'trial_started', properties: { first_name: 'F', plan_type: 'pro' } });
    expect((await deliver(body, {})).status).toBe(401);
    expect((await deliver(body, { 'x-signature': createHmac('sha1', 'not-the-secret').update(body).digest('hex') })).status).toBe(403);
    expect((await deliver(body.replace('pro', 'team'), { 'x-signature': sign(body) })).status).toBe(403);
    expect(await runsOf('hook-3')).toHaveLength(0);
  });
});

describe('the pure parts', () => {
  it('snake_cases Segment event names', () => {
    expect(['Trial Started', 'trialStarted', 'trial-started', ' Trial.Started ', 'trial_started', 'HTTPRequest Sent'].map(snakeCase)).toEqual([
      'trial_started',
      'trial_started',
      'trial_started',
      'trial_started',
      'trial_started',
      'http_request_sent',
    ]);
  });

  it('reads write keys as Segment sends them', () => {
    expect(writeKeysFrom(' a, b: ,,')).toEqual(['a', 'b']);
    expect(writeKeyFromHeader(basic('key:'))).toBe('key');
    expect(writeKeyFromHeader(basic('key'))).toBe('key');
    expect(writeKeyFromHeader(basic(':'))).toBeNull();
    expect(writeKeyFromHeader('Bearer key')).toBeNull();
    expect(isAllowedWriteKey(['a', 'key'], 'key')).toBe(true);
    expect(isAllowedWriteKey(['a', 'key'], 'ke')).toBe(false);
  });

  it('corrects call times with sentAt and never puts them in the future', () => {
    const now = 1_000_000;
    expect(activityTime(now, {})).toBe(now);
    expect(activityTime(now, { timestamp: now - 5_000 })).toBe(now - 5_000);
    expect(activityTime(now, { originalTimestamp: now + 3_590_000, sentAt: now + 3_600_000 })).toBe(now - 10_000);
    expect(activityTime(now, { timestamp: now + 60_000 })).toBe(now);
  });
});
