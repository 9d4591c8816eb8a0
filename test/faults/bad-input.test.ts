/**
 * Fault case: a bad-input corpus (corpus.ts, generated from a fixed seed) across the API surface — malformed
 * JSON, oversized bodies, deep nesting, `__proto__` keys, CR/LF in header lines and in fields that end in
 * email headers, invalid emails and phones, bad keys, forged and replayed webhooks — against a runtime
 * spawned as a real process. Each request must be refused with its documented status (never a 5xx, never a
 * hang), the process must stay alive with flat memory over repeated rounds, and nothing may be accepted: the
 * counts of runs, logged events, messages and pg-boss jobs must not move.
 *
 * Then what a refusal cannot cover: data that is legitimately accepted but carries CR/LF towards email
 * headers must reach SendGrid neutralised, `__proto__` keys in stored data must stay data (or be refused),
 * and a webhook replayed inside its signature window must be applied once.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signSegmentBody } from '../../runtime/segment/auth.ts';
import { startFakeSendgrid, type FakeProvider } from '../fakes/providers.ts';
import { sendgridKeyPair, signSendgrid, type SendgridKeyPair } from '../fakes/sign.ts';
import { buildCorpus, CATEGORIES, type Case, type CorpusSecrets } from './corpus.ts';
import { reportFigure } from './report.ts';
import { FAULT_API_KEY, inParallel, outputTail, pool, rowCounts, rssKb, send, sendEarly, startFaultRuntime, until, type FaultRuntime } from './support.ts';

const SEED = 0xbad1;
/**
 * Rounds before the baseline is taken, and rounds measured. The process's RSS climbs over the first rounds
 * and then levels off (~10 rounds on this machine): native memory the allocator keeps after the corpus's
 * 5 MB bodies, while the JS heap in use stays flat; measured from there, a leak is what still grows.
 */
const WARM_UP_ROUNDS = 10;
const ROUNDS = 5;
const IN_FLIGHT = 8;
/** Growth of the process's resident memory over the measured rounds, after a warm-up round. */
const RSS_BOUND_MB = 50;
const SENDGRID_KEY = 'SG.fault-bad-input';
const PUBLIC_URL = 'https://herald.example.test';
const STOP_PHONE = '+14155550100';

let fault: FaultRuntime;
let sendgrid: FakeProvider;
let keys: SendgridKeyPair;
let secrets: CorpusSecrets;
const agent = pool(IN_FLIGHT);

beforeAll(async () => {
  sendgrid = await startFakeSendgrid({ apiKey: SENDGRID_KEY });
  keys = sendgridKeyPair();
  secrets = {
    apiKey: FAULT_API_KEY,
    publicUrl: PUBLIC_URL,
    sendgridPrivateKey: keys.privateKey,
    twilioAuthToken: 'twilio-fault-token',
    segmentWriteKey: 'wk_fault_0123',
    segmentSecret: 'segment-fault-secret',
  };
  fault = await startFaultRuntime('fault_bad_input', {
    SENDGRID_API_KEY: SENDGRID_KEY,
    SENDGRID_API_URL: sendgrid.url,
    SENDGRID_WEBHOOK_PUBLIC_KEY: keys.publicKeyBase64,
    TWILIO_AUTH_TOKEN: secrets.twilioAuthToken,
    SEGMENT_WRITE_KEY: secrets.segmentWriteKey,
    SEGMENT_SHARED_SECRET: secrets.segmentSecret,
    HERALD_PUBLIC_URL: PUBLIC_URL,
  });
}, 120_000);

afterAll(async () => {
  agent.destroy();
  await fault?.close();
  await sendgrid?.close();
});

const api = { authorization: `Bearer ${FAULT_API_KEY}`, 'content-type': 'application/json' };

function putUser(id: string, body: unknown) {
  return send(`${fault.runtime.url}/v1/users/${encodeURIComponent(id)}`, { method: 'PUT', headers: api, body: JSON.stringify(body) });
}

/** `fault_signup` for a user: one welcome email, its subject built from `firstName`. */
async function signUp(userId: string, firstName: string): Promise<void> {
  const reply = await send(`${fault.runtime.url}/v1/events`, {
    headers: api,
    body: JSON.stringify({ event: 'fault_signup', userId, properties: { first_name: firstName, plan: 'pro' } }),
  });
  expect(reply.status, reply.text).toBe(202);
}

interface Outcome {
  case: Case;
  status: number | 'error';
  error?: string;
  json: unknown;
  ms: number;
}

/** Writes `raw` to a bare socket and reads the status line of the answer (Node's parser answers and closes). */
function sendRaw(url: string, raw: string, timeoutMs = 15_000): Promise<{ status: number; text: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let text = '';
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    socket.on('data', (chunk) => {
      text += chunk.toString('latin1');
      // One answer is enough: a server that kept the connection open would otherwise look like a hang.
      if (/\r\n\r\n/.test(text)) socket.end();
    });
    socket.on('error', reject);
    socket.on('close', () => {
      const status = /^HTTP\/1\.1 (\d{3})/.exec(text);
      if (status) resolve({ status: Number(status[1]), text });
      else reject(new Error(`no HTTP answer (got ${JSON.stringify(text.slice(0, 80))})`));
    });
    socket.write(raw, 'latin1');
  });
}

async function play(c: Case): Promise<Outcome> {
  const started = performance.now();
  try {
    if (c.raw !== undefined) {
      const reply = await sendRaw(fault.runtime.url, c.raw);
      return { case: c, status: reply.status, json: null, ms: performance.now() - started };
    }
    // Large bodies on a connection of their own, read while still being written (support.ts, sendEarly).
    const large = c.body !== undefined && (Array.isArray(c.body) || Buffer.byteLength(c.body) > 64 * 1024);
    const reply = large
      ? await sendEarly(`${fault.runtime.url}${c.path}`, { method: c.method, headers: c.headers, body: c.body!, timeoutMs: 15_000 })
      : await send(`${fault.runtime.url}${c.path}`, {
          method: c.method,
          headers: c.headers,
          ...(c.body === undefined ? {} : { body: c.body }),
          agent,
          timeoutMs: 15_000,
        });
    return { case: c, status: reply.status, json: reply.json, ms: reply.ms };
  } catch (error) {
    return { case: c, status: 'error', error: (error as Error).message, json: null, ms: performance.now() - started };
  }
}

/** The message of an error body in any of the three shapes (Herald's, Segment's, Courier's). */
function errorMessage(json: unknown): string | null {
  const body = json as { error?: { message?: unknown }; message?: unknown } | null;
  const message = body?.error?.message ?? body?.message;
  return typeof message === 'string' ? message : null;
}

/** What is wrong with one outcome, or null. */
function verdict(o: Outcome): string | null {
  const where = `[${o.case.category}] ${o.case.method} ${o.case.path} — ${o.case.name}`;
  if (o.status === 'error') return `${where}: no answer (${o.error})`;
  if (!o.case.expect.includes(o.status)) return `${where}: ${o.status}, expected ${o.case.expect.join(' or ')}: ${JSON.stringify(o.json)?.slice(0, 300)}`;
  if (o.case.check) {
    const problem = o.case.check(o.json);
    if (problem) return `${where}: ${problem}`;
  }
  // Our refusals say what is wrong; Node's own (a malformed request line or header block, 431) have no body.
  if (o.case.raw === undefined && o.status >= 400 && o.status !== 431) {
    const message = errorMessage(o.json);
    if (!message || message.length < 10) return `${where}: ${o.status} without a clear error message: ${JSON.stringify(o.json)}`;
  }
  return null;
}

async function round(corpus: Case[]): Promise<Outcome[]> {
  return inParallel(corpus.length, IN_FLIGHT, (i) => play(corpus[i]!));
}

interface Memory {
  rssKb: number;
  /** V8's heap in use, from the runtime's own /metrics (not after a GC, so it swings by a few tens of MB). */
  heapUsedMb: number;
}

async function memory(): Promise<Memory> {
  const metrics = (await send(`${fault.runtime.url}/metrics`, { method: 'GET', headers: { authorization: `Bearer ${FAULT_API_KEY}` } })).text;
  const heap = Number(/^herald_process_nodejs_heap_size_used_bytes (\S+)$/m.exec(metrics)?.[1]);
  return { rssKb: rssKb(fault.runtime.pid), heapUsedMb: Math.round(heap / 1024 / 1024) };
}

function tally(outcomes: Outcome[]) {
  const byCategory: Record<string, { cases: number; statuses: Record<string, number> }> = {};
  for (const category of CATEGORIES) byCategory[category] = { cases: 0, statuses: {} };
  for (const o of outcomes) {
    const entry = byCategory[o.case.category]!;
    entry.cases++;
    entry.statuses[o.status] = (entry.statuses[o.status] ?? 0) + 1;
  }
  return byCategory;
}

describe('bad input', () => {
  it('a generated corpus of bad requests: each refused with its status, the process alive, memory flat, nothing enqueued', async () => {
    const context = () => outputTail(fault.runtime);
    // A user whose number a forged STOP names: it must stay opted in.
    expect(
      (await send(`${fault.runtime.url}/v1/users/stop-target`, { method: 'PUT', headers: api, body: JSON.stringify({ phone_number: STOP_PHONE }) })).status,
    ).toBe(200);
    const corpus = buildCorpus(secrets, SEED, Date.now());
    const before = await rowCounts(fault.db);
    const started = performance.now();

    const warmUp: Outcome[] = [];
    for (let r = 0; r < WARM_UP_ROUNDS; r++) warmUp.push(...(await round(corpus)));
    const baseline = await memory();
    const measured: Outcome[] = [];
    const perRound: Memory[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      measured.push(...(await round(corpus)));
      perRound.push(await memory());
    }
    const rssBefore = baseline.rssKb;
    const rssAfter = perRound[perRound.length - 1]!.rssKb;
    const seconds = (performance.now() - started) / 1000;

    const problems = [...new Set([...warmUp, ...measured].map(verdict).filter((p): p is string => p !== null))];
    expect(problems.length, `requests not refused as documented:\n${problems.join('\n')}\n${context()}`).toBe(0);
    const serverErrors = [...warmUp, ...measured].filter((o) => typeof o.status === 'number' && o.status >= 500);
    expect(serverErrors.length, 'answers ≥ 500').toBe(0);

    // Alive and answering.
    expect(fault.runtime.child.exitCode, context()).toBeNull();
    expect((await send(`${fault.runtime.url}/healthz`, { method: 'GET' })).status).toBe(200);

    // Nothing accepted: no run, event, message or job, and the forged STOP opted no one out.
    const after = await rowCounts(fault.db);
    expect(after, 'runs, events, messages and pg-boss jobs after the corpus').toEqual(before);
    const { rows: optedOut } = await fault.db.query('SELECT id FROM herald.users WHERE sms_opt_out');
    expect(optedOut).toEqual([]);

    // A prototype polluted by the corpus would make a missing required field look present.
    const missing = await send(`${fault.runtime.url}/v1/events`, {
      headers: api,
      body: JSON.stringify({ event: 'fault_signup', userId: 'after', properties: { plan: 'pro' } }),
    });
    expect(missing.status, missing.text).toBe(400);
    expect(missing.text).not.toMatch(/polluted/);

    const growthMb = (rssAfter - rssBefore) / 1024;
    expect(
      growthMb,
      `RSS grew from ${rssBefore} kB to ${rssAfter} kB over ${ROUNDS} rounds of ${corpus.length} requests (after each: ${perRound.map((m) => m.rssKb).join(', ')} kB)`,
    ).toBeLessThan(RSS_BOUND_MB);

    reportFigure('bad-input', {
      seed: SEED,
      corpusSize: corpus.length,
      rounds: { warmUp: WARM_UP_ROUNDS, measured: ROUNDS },
      requests: warmUp.length + measured.length,
      perCategory: tally(warmUp.slice(0, corpus.length)),
      slowestMs: Math.round(Math.max(...measured.map((o) => o.ms))),
      rssKb: { afterWarmUp: rssBefore, afterEachRound: perRound.map((m) => m.rssKb), growthMb: +growthMb.toFixed(1), boundMb: RSS_BOUND_MB },
      jsHeapUsedMb: { afterWarmUp: baseline.heapUsedMb, afterEachRound: perRound.map((m) => m.heapUsedMb) },
      enqueued: {
        runs: after.runs - before.runs,
        events: after.events - before.events,
        messages: after.messages - before.messages,
        jobs: after.jobs - before.jobs,
      },
      processAlive: fault.runtime.child.exitCode === null,
      wallSeconds: +seconds.toFixed(1),
    });
  });

  it('__proto__ keys in stored data are refused (naming where); constructor.prototype round-trips as data', async () => {
    // A "__proto__" key would silently vanish (zod rebuilds records by assignment, which sets the prototype):
    // refused instead, with the path.
    const proto = await send(`${fault.runtime.url}/v1/users/proto-user`, {
      method: 'PUT',
      headers: api,
      body: '{"traits":{"__proto__":{"isAdmin":true},"nickname":"P"}}',
    });
    expect(proto.status, proto.text).toBe(400);
    expect(errorMessage(proto.json)).toContain('traits.__proto__');
    // "constructor" is an ordinary key: kept as sent, and read back as data.
    const ctor = await send(`${fault.runtime.url}/v1/users/proto-user`, {
      method: 'PUT',
      headers: api,
      body: '{"traits":{"constructor":{"prototype":{"polluted":true}},"nickname":"P"}}',
    });
    expect(ctor.status, ctor.text).toBe(200);
    const got = await send(`${fault.runtime.url}/v1/users/proto-user`, { method: 'GET', headers: api });
    const traits = (got.json as { user: { traits: Record<string, unknown> } }).user.traits;
    expect(Object.getOwnPropertyNames(traits).sort(), got.text).toEqual(['constructor', 'nickname']);
    expect(traits.constructor).toEqual({ prototype: { polluted: true } });
    // Another user is untouched by either.
    const other = await send(`${fault.runtime.url}/v1/users/plain-user`, { method: 'PUT', headers: api, body: JSON.stringify({ traits: { nickname: 'Q' } }) });
    expect(other.status).toBe(200);
    expect(other.text).not.toMatch(/isAdmin|polluted/);
  });

  it('CR/LF in data that reaches email headers never reaches SendGrid as a header line', async () => {
    sendgrid.reset();
    const injection = 'Ada\r\nBcc: eve@example.com\r\nX-Injected: yes';
    // A nickname (traits are free text) and a first name carry CR/LF into the subject; a user id carries them
    // into the List-Unsubscribe link; an address with CR/LF is refused at every door (the corpus), so the one
    // way left to smuggle one is a Segment identify whose trailing CR/LF is trimmed.
    expect((await putUser('inj-1', { email: 'inj-1@example.com', traits: { nickname: 'Nick\r\nX-Injected: yes' } })).status).toBe(200);
    expect((await putUser('inj\r\n2', { email: 'inj-2@example.com' })).status).toBe(200);
    const identify = await send(`${fault.runtime.url}/v1/identify`, {
      headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${secrets.segmentWriteKey}:`).toString('base64')}` },
      body: JSON.stringify({ userId: 'inj-3', traits: { email: 'inj-3@example.com\r\n' } }),
    });
    expect(identify.status, identify.text).toBe(200);
    for (const userId of ['inj-1', 'inj\r\n2', 'inj-3']) await signUp(userId, injection);
    const mails = await until(
      'three emails at the fake SendGrid',
      async () => (sendgrid.requests.length >= 3 ? sendgrid.requests : null),
      20_000,
      () => outputTail(fault.runtime),
    );

    const headerFields = mails.flatMap((m) => headerBoundValues(m.body));
    expect(headerFields.filter(([field]) => field === 'headers.List-Unsubscribe')).toHaveLength(3);
    const withBreaks = headerFields.filter(([, value]) => /[\r\n]/.test(value));
    expect(
      withBreaks,
      'header-bound fields SendGrid received with a CR or LF (runtime/delivery/providers/sendgrid.ts passes the rendered subject as is)',
    ).toEqual([]);
  });

  it('a webhook replayed inside its signature window is applied once; one replayed too late is refused', async () => {
    expect((await putUser('replay-1', { email: 'replay-1@example.com' })).status).toBe(200);
    await signUp('replay-1', 'Ada');
    const message = await until(
      'the welcome email of replay-1',
      async () => (await fault.db.query<{ id: string }>(`SELECT id FROM herald.messages WHERE user_id = 'replay-1' AND status = 'sent'`)).rows[0],
      20_000,
      () => outputTail(fault.runtime),
    );
    const body = JSON.stringify([
      { email: 'replay-1@example.com', event: 'delivered', sg_event_id: 'replayed-1', timestamp: Math.floor(Date.now() / 1000), herald_message_id: message.id },
    ]);
    const post = (offsetMs: number) => {
      const timestamp = String(Math.floor((Date.now() + offsetMs) / 1000));
      return send(`${fault.runtime.url}/webhooks/sendgrid`, {
        headers: {
          'content-type': 'application/json',
          'x-twilio-email-event-webhook-signature': signSendgrid(keys.privateKey, timestamp, body),
          'x-twilio-email-event-webhook-timestamp': timestamp,
        },
        body,
      });
    };
    const first = await post(0);
    const replayed = await post(0);
    const late = await post(-6 * 60_000);
    expect([first.status, replayed.status, late.status]).toEqual([200, 200, 403]);
    expect(first.json).toMatchObject({ applied: 1, duplicate: 0 });
    expect(replayed.json).toMatchObject({ applied: 0, duplicate: 1 });
    const { rows: history } = await fault.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM herald.messages, jsonb_array_elements(history) h WHERE id = $1 AND h->>'status' = 'delivered'`,
      [message.id],
    );
    expect(history[0]!.n, 'delivered entries in the message history').toBe(1);

    // Segment's webhook signature has no timestamp: a replay verifies, and the messageId dedupes it.
    const call = JSON.stringify({ type: 'track', event: 'fault_ping', userId: 'seg-replay', properties: { n: 1 }, messageId: 'seg-replay-1' });
    const segment = () =>
      send(`${fault.runtime.url}/webhooks/segment`, {
        headers: { 'content-type': 'application/json', 'x-signature': signSegmentBody(secrets.segmentSecret, call) },
        body: call,
      });
    expect([(await segment()).status, (await segment()).status]).toEqual([200, 200]);
    const { rows: logged } = await fault.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM herald.events WHERE message_id = 'seg-replay-1'`);
    expect(logged[0]!.n).toBe(1);
  });
});

/** Every value of a SendGrid v3 mail/send body that becomes a header line: addresses, subjects, custom headers. */
function headerBoundValues(body: unknown): [string, string][] {
  const mail = body as {
    from?: { email?: string; name?: string };
    reply_to?: { email?: string; name?: string };
    subject?: string;
    headers?: Record<string, string>;
    personalizations?: { to?: { email?: string; name?: string }[]; subject?: string; headers?: Record<string, string> }[];
  };
  const out: [string, string][] = [];
  const push = (field: string, value: unknown) => typeof value === 'string' && out.push([field, value]);
  push('from', mail.from?.email);
  push('from.name', mail.from?.name);
  push('reply_to', mail.reply_to?.email);
  push('subject', mail.subject);
  for (const [name, value] of Object.entries(mail.headers ?? {})) push(`headers.${name}`, value);
  for (const p of mail.personalizations ?? []) {
    for (const to of p.to ?? []) {
      push('to', to.email);
      push('to.name', to.name);
    }
    push('subject', p.subject);
    for (const [name, value] of Object.entries(p.headers ?? {})) push(`headers.${name}`, value);
  }
  return out;
}
