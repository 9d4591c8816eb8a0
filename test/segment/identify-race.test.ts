/**
 * The identify/track race, as users hit it with Segment's own Node library: `identify` (the email) then `track`
 * (the trigger) as two calls right after start, the track arriving first. The welcome email must still go out,
 * its run's history saying it waited for the address. And presence: a server library's identify does not make
 * `s.user.activeWithin(…)` true, a browser's page call does (the onboarding's follow-up branch reads it).
 *
 * The track overtakes the identify for real: a loopback proxy in front of the runtime holds the identify back
 * (the network reordering two concurrent requests) until the track's run has started and found no address, so
 * the race goes the users' way on any machine. The bundle is the example's with waits shortened (the 2 h wait
 * for an open takes 2 s) and the address grace at its production 10 s.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Analytics } from '@segment/analytics-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sealBundle } from '../../compiler/bundle/canonical.ts';
import type { HistoryEntry } from '../../runtime/engine/index.ts';
import type { Runtime } from '../../runtime/server.ts';
import { startFakeSendgrid, type FakeProvider } from '../fakes/providers.ts';
import { client, eventually, exampleBundle, shorten, startTestRuntime, type Api, type MessageView } from '../runtime/harness.ts';

const WRITE_KEY = 'wk_race_0123456789';
const BROWSER_KEY = 'wk_race_browser_0123456789';
const SENDGRID_KEY = 'SG.race-test-key';
/** Users whose identify the proxy holds back until their run waits for an address (at most 10 s). */
const OVERTAKEN = new Set(['race-ada']);

let sendgrid: FakeProvider;
let runtime: Runtime;
let proxy: Server;
let api: Api;
let analytics: Analytics;

/** Until a run of the user waits for an address (or 10 s pass: the test then fails on the run's history). */
async function untilWaitingForAddress(userId: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  const query = `SELECT 1 FROM herald.runs WHERE user_id = $1 AND state->'waiting'->>'kind' = 'address'`;
  while (Date.now() < deadline && (await runtime.db.query(query, [userId])).rows.length === 0) await new Promise((r) => setTimeout(r, 25));
}

/** The identify call of an overtaken user in a request body (Segment's libraries post calls in /v1/batch). */
function overtakenIdentify(body: string): string | null {
  const calls = (JSON.parse(body || '{}') as { batch?: { type?: string; userId?: string }[] }).batch ?? [];
  return calls.find((c) => c.type === 'identify' && OVERTAKEN.has(c.userId ?? ''))?.userId ?? null;
}

/** Forwards every request to the runtime; an overtaken user's identify goes once their track's run waits. */
async function startReorderingProxy(target: string): Promise<Server> {
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const held = overtakenIdentify(body.toString());
    if (held) await untilWaitingForAddress(held);
    const headers = Object.fromEntries(Object.entries(req.headers).filter(([name]) => !['host', 'connection', 'content-length'].includes(name))) as Record<
      string,
      string
    >;
    const answer = await fetch(`${target}${req.url}`, { method: req.method, headers, ...(body.length ? { body } : {}) });
    res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
    res.end(Buffer.from(await answer.arrayBuffer()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

beforeAll(async () => {
  sendgrid = await startFakeSendgrid({ apiKey: SENDGRID_KEY });
  const { version: _version, formatVersion: _format, ...content } = shorten(await exampleBundle());
  const bundle = sealBundle({ ...content, settings: { ...content.settings, addressGrace: 10_000 } });
  runtime = await startTestRuntime('segment-race', {
    bundle,
    env: { SEGMENT_WRITE_KEY: WRITE_KEY, SEGMENT_BROWSER_WRITE_KEY: BROWSER_KEY, SENDGRID_API_KEY: SENDGRID_KEY, SENDGRID_API_URL: sendgrid.url },
  });
  api = client(runtime);
  proxy = await startReorderingProxy(runtime.url);
  analytics = new Analytics({ writeKey: WRITE_KEY, host: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`, flushAt: 1, maxRetries: 1 });
}, 60_000);

afterAll(async () => {
  await analytics?.closeAndFlush({ timeout: 5_000 });
  await new Promise((resolve) => proxy?.close(resolve));
  await runtime?.stop();
  await sendgrid?.close();
});

interface RunView {
  id: string;
  status: string;
  history: HistoryEntry[];
  messages: MessageView[];
}

async function onboardingRun(userId: string): Promise<RunView> {
  const { rows } = await runtime.db.query<{ id: string }>(`SELECT id FROM herald.runs WHERE user_id = $1 AND workflow = 'onboarding'`, [userId]);
  expect(rows).toHaveLength(1);
  return (await api<{ run: RunView }>('GET', `/v1/runs/${rows[0]!.id}`)).body.run;
}

const mailTo = (email: string) =>
  sendgrid.requests.find((r) => (r.body as { personalizations?: { to: { email: string }[] }[] })?.personalizations?.[0]?.to[0]?.email === email);

/** The follow-up branch once it ran: which arm, and the activity it read. */
async function followUp(userId: string): Promise<HistoryEntry> {
  return eventually('the follow-up branch', async () => (await onboardingRun(userId)).history.find((h) => h.stepId === 'follow-up'), 20_000);
}

describe('a track that overtakes its identify', () => {
  it('still sends the welcome email, once the identify brings the address; the run says it waited', async () => {
    const sent = Promise.all([
      new Promise<void>((resolve, reject) =>
        analytics.identify({ userId: 'race-ada', traits: { email: 'race-ada@example.com', first_name: 'Ada' } }, (e) => (e ? reject(e) : resolve())),
      ),
      new Promise<void>((resolve, reject) =>
        analytics.track({ userId: 'race-ada', event: 'Trial Started', properties: { first_name: 'Ada', plan_type: 'pro' } }, (e) =>
          e ? reject(e) : resolve(),
        ),
      ),
    ]);
    await sent;
    await eventually('the welcome email at SendGrid', async () => mailTo('race-ada@example.com'));

    // SendGrid has it before the run's transaction commits: read the run once its history and message log have it
    // (the run and its messages are two reads, so one may be seen before the other).
    const run = await eventually('the welcome message logged', async () => {
      const r = await onboardingRun('race-ada');
      return r.messages.some((m) => m.step === 'welcome') && r.history.some((h) => h.stepId === 'welcome' && h.outcome === 'sent') ? r : null;
    });
    const welcome = run.history.filter((h) => h.stepId === 'welcome');
    // The track came first: the send found no address and waited for one, then went out when the identify came.
    expect(welcome[0]).toMatchObject({ kind: 'send', outcome: 'waiting', detail: { reason: 'no_address', grace: 10_000, channels: ['email'] } });
    const dispatched = welcome.find((h) => h.outcome === 'dispatched')!;
    expect(dispatched.detail).toMatchObject({ candidates: ['email'], skipped: [] });
    // Woken by the identify, not by the end of the grace.
    expect(dispatched.detail!.waited).toBeGreaterThan(0);
    expect(dispatched.detail!.waited).toBeLessThan(5_000);
    expect(run.messages.find((m) => m.step === 'welcome')).toMatchObject({ channel: 'email', status: 'sent', provider: 'sendgrid' });
  });
});

describe('one batch', () => {
  it('applies its calls in order: the identify is in the profile before the track after it starts the run', async () => {
    // Other users' calls around them, so that the batch's lanes run side by side.
    const others = Array.from({ length: 6 }, (_, i) => ({ type: 'identify', userId: `batch-other-${i}`, traits: { first_name: `O${i}` } }));
    const r = await fetch(`${runtime.url}/v1/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${WRITE_KEY}:`).toString('base64')}` },
      body: JSON.stringify({
        batch: [
          ...others.slice(0, 3),
          { type: 'identify', userId: 'batch-bea', traits: { email: 'batch-bea@example.com', first_name: 'Bea' } },
          ...others.slice(3),
          { type: 'track', userId: 'batch-bea', event: 'trial_started', properties: { first_name: 'Bea', plan_type: 'pro' } },
        ],
      }),
    });
    expect(r.status).toBe(200);
    const run = await eventually('the welcome sent', async () => {
      const found = await onboardingRun('batch-bea');
      return found.history.some((h) => h.stepId === 'welcome' && h.outcome === 'sent') ? found : null;
    });
    // Planned with the address at once: no wait.
    expect(run.history.filter((h) => h.stepId === 'welcome').map((h) => h.outcome)).toEqual(['dispatched', 'sent']);
  });
});

describe('presence from Segment calls', () => {
  it("a server library's identify and track do not make the user active", async () => {
    await new Promise<void>((resolve, reject) =>
      analytics.identify({ userId: 'race-server', traits: { email: 'race-server@example.com', phone: '+15555550142' } }, (e) => (e ? reject(e) : resolve())),
    );
    await new Promise<void>((resolve, reject) =>
      analytics.track({ userId: 'race-server', event: 'trial_started', properties: { first_name: 'Sam', plan_type: 'free' } }, (e) =>
        e ? reject(e) : resolve(),
      ),
    );
    expect((await api<{ user: { last_active_at: string | null } }>('GET', '/v1/users/race-server')).body.user.last_active_at).toBeNull();
    const branch = await followUp('race-server');
    // activeWithin('5m') read no activity: not the in-app nudge.
    expect(branch.detail).toMatchObject({ arm: 'otherwise' });
    expect(JSON.stringify(branch.detail)).toContain('"op":"activeWithin"');
    expect(JSON.stringify(branch.detail)).toContain('"lastActiveAt":null');
  });

  it("a browser's page call makes the user active: the follow-up goes to the in-app inbox", async () => {
    await new Promise<void>((resolve, reject) =>
      analytics.identify({ userId: 'race-web', traits: { email: 'race-web@example.com', phone: '+15555550143' } }, (e) => (e ? reject(e) : resolve())),
    );
    // What analytics.js sends (with the page's public key).
    const page = await fetch(`${runtime.url}/v1/page`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${BROWSER_KEY}:`).toString('base64')}` },
      body: JSON.stringify({
        userId: 'race-web',
        name: 'Pricing',
        context: {
          library: { name: 'analytics.js', version: 'next-1.70.0' },
          page: { path: '/pricing', url: 'https://app.example.com/pricing' },
          userAgent: 'Mozilla/5.0',
        },
      }),
    });
    expect(page.status).toBe(200);
    await new Promise<void>((resolve, reject) =>
      analytics.track({ userId: 'race-web', event: 'trial_started', properties: { first_name: 'Wen', plan_type: 'pro' } }, (e) => (e ? reject(e) : resolve())),
    );
    expect((await api<{ user: { last_active_at: string | null } }>('GET', '/v1/users/race-web')).body.user.last_active_at).not.toBeNull();
    const branch = await followUp('race-web');
    expect(branch.detail).toMatchObject({ arm: 1 });
    const run = await eventually('the in-app nudge', async () => {
      const r = await onboardingRun('race-web');
      return r.messages.some((m) => m.step === 'nudge-inapp') ? r : null;
    });
    expect(run.messages.find((m) => m.step === 'nudge-inapp')).toMatchObject({ channel: 'inapp', status: 'sent' });
  });
});
