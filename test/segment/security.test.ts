/**
 * Segment hardening, against a live runtime on a compiled tree of its own:
 * - event names over MAX_EVENT_NAME_LENGTH are refused with the field and the fix (the name matching was
 *   quadratic; runtime/segment/names.test.ts covers its linear replacement);
 * - browser write keys (SEGMENT_BROWSER_WRITE_KEY, public in every page) cannot change where a user's
 *   messages go, merge profiles, or start workflows not marked `clientTriggerable`, whether the key comes in
 *   the Basic header or the body's `writeKey`;
 * - a request whose key or signature header is wrong or missing is answered without its body being read.
 */
import { request } from 'node:http';
import { join } from 'node:path';
import { Analytics } from '@segment/analytics-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bundle } from '../../compiler/bundle/schema.ts';
import { diffBundles } from '../../compiler/diff/diff.ts';
import { writeKeyKind, writeKeysOf } from '../../runtime/segment/auth.ts';
import { MAX_EVENT_NAME_LENGTH } from '../../runtime/segment/limits.ts';
import type { Runtime } from '../../runtime/server.ts';
import { client, eventually, startTestRuntime, type Api } from '../runtime/harness.ts';
import { compileTree, ROOT } from '../setup/tree.ts';

const SERVER_KEY = 'wk_server_0123456789';
const BROWSER_KEY = 'wk_browser_abcdef';
const SHARED_SECRET = 'segment-shared-secret';

const TREE = `import { channel, event, provider, settings, workflow, z } from 'herald';

export const config = settings({ retention: '30d' });
export const sandbox = provider('sec-sandbox', { channel: 'email', kind: 'sandbox' });
export const email = channel('email', { providers: [sandbox] });

export const tourStarted = event('tour_started', { schema: z.object({ step: z.number() }) });
export const trialStarted = event('trial_started', { schema: z.object({ plan: z.string() }) });
export const tourDone = event('tour_done', { schema: z.object({}) });

export const tour = workflow('product-tour', { trigger: tourStarted, clientTriggerable: true, steps: (s) => [s.delay('park', '1d')] });
export const tourAudit = workflow('tour-audit', { trigger: tourStarted, steps: (s) => [s.delay('park', '1d')] });
export const trial = workflow('trial', { trigger: trialStarted, cancelOn: [tourDone], steps: (s) => [s.delay('park', '1d')] });
`;

let bundle: Bundle;
let runtime: Runtime;
let api: Api;

beforeAll(async () => {
  bundle = await compileTree(join(ROOT, 'test', `.tmp-segment-security-${process.pid}`), { 'tree.ts': TREE });
  runtime = await startTestRuntime('segment_security', {
    bundle,
    env: { SEGMENT_WRITE_KEY: SERVER_KEY, SEGMENT_BROWSER_WRITE_KEY: `${BROWSER_KEY}:`, SEGMENT_SHARED_SECRET: SHARED_SECRET },
  });
  api = client(runtime);
}, 120_000);

afterAll(async () => {
  await runtime?.stop();
});

const basic = (key: string) => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;

interface Answer {
  success: boolean;
  message?: string;
  code?: string;
  herald?: {
    accepted?: number;
    rejected?: { index: number; reason: string; code?: string }[];
    ignored?: { index: number; fields?: string[]; reason: string }[];
  };
}

async function post(path: string, body: unknown, key: string | { body: string }) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (typeof key === 'string') headers.authorization = basic(key);
  const payload = typeof key === 'string' ? body : { ...(body as object), writeKey: key.body };
  const response = await fetch(`${runtime.url}${path}`, { method: 'POST', headers, body: JSON.stringify(payload) });
  return { status: response.status, body: (await response.json()) as Answer };
}

async function runsOf(userId: string) {
  const { rows } = await runtime.db.query<{ workflow: string; status: string }>(
    'SELECT workflow, status FROM herald.runs WHERE user_id = $1 ORDER BY workflow',
    [userId],
  );
  return rows;
}

async function profile(userId: string) {
  const r = await api<{ user: { email: string | null; phone_number: string | null; push_tokens: string[]; traits: Record<string, unknown> } }>(
    'GET',
    `/v1/users/${userId}`,
  );
  return r.status === 200 ? r.body.user : null;
}

describe('the clientTriggerable option', () => {
  it('reaches the bundle only where it is set', () => {
    expect(bundle.workflows['product-tour']!.clientTriggerable).toBe(true);
    expect('clientTriggerable' in bundle.workflows['tour-audit']!).toBe(false);
  });

  it('shows in the bundle diff, so a review sees who may now start a workflow', () => {
    const { clientTriggerable: _open, ...closed } = bundle.workflows['product-tour']!;
    const base = { ...bundle, workflows: { ...bundle.workflows, 'product-tour': closed } };
    const changed = diffBundles(base, bundle).workflows.changed;
    expect(changed.map((w) => [w.id, w.changes.map((c) => c.summary)])).toEqual([
      ['product-tour', ['now clients may trigger it (was: only servers may trigger it)']],
    ]);
    expect(diffBundles(base, bundle).flags).toEqual([
      {
        kind: 'security',
        rule: 'workflow-opened-to-clients',
        section: 'workflows',
        id: 'product-tour',
        path: 'clientTriggerable',
        message: expect.stringMatching(/browser write key/),
      },
    ]);
    // Closing it again is no flag.
    expect(diffBundles(bundle, base).flags).toEqual([]);
  });

  it('is refused on a scheduled workflow (no client sends a schedule)', async () => {
    const tree = `import { schedule, workflow } from 'herald';
export const nightly = workflow('nightly', { trigger: schedule('0 3 * * *'), clientTriggerable: true, steps: (s) => [s.delay('park', '1h')] });
`;
    await expect(compileTree(join(ROOT, 'test', `.tmp-segment-schedule-${process.pid}`), { 'tree.ts': tree })).rejects.toThrow(
      /"nightly" runs on a schedule, so no client can trigger it/,
    );
  });
});

describe('event names', () => {
  const long = 'A'.repeat(30_000);

  it(`refuses a track name over ${MAX_EVENT_NAME_LENGTH} characters with the field and the fix (400)`, async () => {
    const r = await post('/v1/track', { userId: 'name-1', event: long, properties: {} }, SERVER_KEY);
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ success: false, code: 'invalid_request' });
    expect(r.body.message).toBe(
      `event: the event name is 30000 characters; Herald takes at most ${MAX_EVENT_NAME_LENGTH}: name the event for people (e.g. "Order Completed") and send details as properties`,
    );
    const { rows } = await runtime.db.query('SELECT 1 FROM herald.events WHERE user_id = $1', ['name-1']);
    expect(rows).toHaveLength(0);
  });

  it('refuses the long name alone in a batch, and takes a name at the limit', async () => {
    const atLimit = `Tour ${'x'.repeat(MAX_EVENT_NAME_LENGTH - 5)}`;
    const r = await post(
      '/v1/batch',
      {
        batch: [
          { type: 'track', userId: 'name-2', event: `${'aA'.repeat(15_000)}`, properties: {} },
          { type: 'track', userId: 'name-2', event: atLimit, properties: {} },
        ],
      },
      SERVER_KEY,
    );
    expect(r.status).toBe(200);
    expect(r.body.herald).toMatchObject({ accepted: 1, rejected: [{ index: 0, reason: expect.stringMatching(/^event: the event name is 30000 characters/) }] });
  });
});

describe('browser write keys', () => {
  it('identify keeps the traits but not the contact fields, and says which were ignored', async () => {
    await post(
      '/v1/identify',
      { userId: 'victim', traits: { email: 'victim@example.com', phone: '+15555550100' }, context: { device: { token: 'victim-device' } } },
      SERVER_KEY,
    );

    const r = await post(
      '/v1/identify',
      {
        userId: 'victim',
        traits: { email: 'attacker@example.com', phone_number: '+15555550199', plan: 'pro' },
        context: { device: { token: 'attacker-device' }, timezone: 'Europe/Paris' },
      },
      BROWSER_KEY,
    );
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      success: true,
      herald: {
        ignored: [
          {
            index: 0,
            type: 'identify',
            fields: ['traits.email', 'traits.phone_number', 'context.device.token'],
            reason: expect.stringMatching(/browser write key/),
          },
        ],
      },
    });
    expect(await profile('victim')).toMatchObject({
      email: 'victim@example.com',
      phone_number: '+15555550100',
      push_tokens: ['victim-device'],
      traits: { plan: 'pro' },
    });
    expect((await profile('victim'))!.traits.email).toBeUndefined();
  });

  it('identify from Segment’s own library with the browser key sets no email', async () => {
    const analytics = new Analytics({ writeKey: BROWSER_KEY, host: runtime.url, flushAt: 1, maxRetries: 0 });
    await new Promise<void>((resolve, reject) =>
      analytics.identify({ userId: 'lib-user', traits: { email: 'lib@example.com', first_name: 'Lib' } }, (err) =>
        err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(),
      ),
    );
    await analytics.closeAndFlush({ timeout: 5_000 });
    expect(await profile('lib-user')).toMatchObject({ email: null, traits: { first_name: 'Lib' } });
  });

  it('alias is refused (403), by header key and by body key, alone and in a batch', async () => {
    await post('/v1/identify', { userId: 'owner', traits: { email: 'owner@example.com' } }, SERVER_KEY);
    await post('/v1/identify', { anonymousId: 'intruder', traits: { nickname: 'x' } }, SERVER_KEY);
    for (const key of [BROWSER_KEY, { body: BROWSER_KEY }]) {
      const r = await post('/v1/alias', { previousId: 'owner', userId: 'intruder' }, key);
      expect(r.status).toBe(403);
      expect(r.body).toMatchObject({
        success: false,
        code: 'forbidden',
        message: expect.stringMatching(/^alias: a browser write key .* may not merge profiles/),
      });
    }
    const batch = await post('/v1/batch', { batch: [{ type: 'alias', previousId: 'owner', userId: 'intruder' }] }, { body: BROWSER_KEY });
    expect(batch.body.herald).toMatchObject({ accepted: 0, rejected: [{ index: 0, code: 'forbidden' }] });
    expect(await profile('owner')).toMatchObject({ email: 'owner@example.com' });
    // A server key still merges.
    expect((await post('/v1/alias', { previousId: 'intruder', userId: 'owner' }, SERVER_KEY)).status).toBe(200);
    expect(await profile('intruder')).toBeNull();
  });

  it('track starts only workflows marked clientTriggerable; other events are logged and start nothing', async () => {
    const tour = await post('/v1/track', { userId: 'b-1', event: 'Tour Started', properties: { step: 1 } }, BROWSER_KEY);
    expect(tour).toEqual({
      status: 200,
      body: { success: true, herald: { ignored: [{ index: 0, type: 'track', reason: expect.stringMatching(/clientTriggerable/) }] } },
    });
    expect(await runsOf('b-1')).toEqual([{ workflow: 'product-tour', status: expect.any(String) }]);

    const trial = await post(
      '/v1/batch',
      { batch: [{ type: 'track', userId: 'b-2', event: 'trial_started', properties: { plan: 'pro' } }] },
      { body: BROWSER_KEY },
    );
    expect(trial.body.herald).toMatchObject({ accepted: 1, rejected: [], ignored: [{ index: 0, reason: expect.stringMatching(/started no workflow/) }] });
    expect(await runsOf('b-2')).toEqual([]);
    const { rows } = await runtime.db.query('SELECT event FROM herald.events WHERE user_id = $1', ['b-2']);
    expect(rows).toEqual([{ event: 'trial_started' }]);

    // The same calls with the server key start every workflow, with nothing to report.
    expect((await post('/v1/track', { userId: 'b-3', event: 'tour_started', properties: { step: 1 } }, SERVER_KEY)).body).toEqual({ success: true });
    expect((await runsOf('b-3')).map((r) => r.workflow)).toEqual(['product-tour', 'tour-audit']);
  });

  it('an event no client may trigger does not cancel or feed another user’s runs', async () => {
    for (const user of ['c-browser', 'c-server']) await post('/v1/track', { userId: user, event: 'trial_started', properties: { plan: 'pro' } }, SERVER_KEY);
    // Accepted and logged, like any event; it only reaches no run.
    expect((await post('/v1/track', { userId: 'c-browser', event: 'tour_done', properties: {} }, BROWSER_KEY)).status).toBe(200);
    const { rows } = await runtime.db.query('SELECT event FROM herald.events WHERE user_id = $1 ORDER BY id', ['c-browser']);
    expect(rows).toEqual([{ event: 'trial_started' }, { event: 'tour_done' }]);
    await post('/v1/track', { userId: 'c-server', event: 'tour_done', properties: {} }, SERVER_KEY);
    await eventually('the server key’s cancellation', async () => (await runsOf('c-server'))[0]?.status === 'cancelled');
    expect(await runsOf('c-browser')).toEqual([{ workflow: 'trial', status: expect.not.stringMatching(/cancelled/) }]);
  });

  it('a key listed as both kinds is a browser key; unknown keys have no kind', () => {
    const keys = writeKeysOf({ SEGMENT_WRITE_KEY: 'a,both', SEGMENT_BROWSER_WRITE_KEY: 'b, both:' });
    expect(['a', 'b', 'both', 'c', ''].map((k) => writeKeyKind(keys, k))).toEqual(['server', 'browser', 'browser', null, null]);
  });
});

/**
 * Sends headers and the first part of a body that never ends, and resolves with the answer: a server that
 * waited for the body would never give one (the test would time out). `length`: the body's declared
 * Content-Length (as Segment's libraries send it); without, the body is chunked.
 */
function answerBeforeBody(path: string, headers: Record<string, string>, firstChunk: string, length?: number): Promise<{ status: number; body: Answer }> {
  const framing = length === undefined ? { 'transfer-encoding': 'chunked' } : { 'content-length': String(length) };
  return new Promise((resolve, reject) => {
    const req = request(`${runtime.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...framing, ...headers } }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk));
      res.on('end', () => {
        resolve({ status: res.statusCode!, body: JSON.parse(text) as Answer });
        req.destroy();
      });
    });
    req.on('error', (error) => (error.message.includes('socket hang up') ? undefined : reject(error)));
    req.write(firstChunk);
  });
}

describe('bodies are not read before the key or signature is checked', () => {
  it('/webhooks/segment without X-Signature answers 401 before the body ends', async () => {
    const r = await answerBeforeBody('/webhooks/segment', {}, '{"type":"track",', 4096);
    expect(r).toMatchObject({ status: 401, body: { success: false, message: expect.stringMatching(/missing x-signature header/) } });
  });

  it('/v1/track with a wrong Basic key answers 401 before the body ends, declared or chunked', async () => {
    expect((await answerBeforeBody('/v1/track', { authorization: basic('wk_wrong') }, '{"userId":"x",', 4096)).status).toBe(401);
    expect((await answerBeforeBody('/v1/batch', { authorization: basic('wk_wrong') }, '{"batch":[')).status).toBe(401);
  });

  it('/v1/track with the key in the body: the 32 KB limit applies while reading, before any key is looked for', async () => {
    const r = await answerBeforeBody('/v1/track', {}, `{"writeKey":"${SERVER_KEY}","properties":{"big":"${'x'.repeat(40 * 1024)}`);
    expect(r).toMatchObject({ status: 400, body: { code: 'payload_too_large' } });
  });
});
