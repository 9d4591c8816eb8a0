/**
 * Regression tests for the security fixes of the hardening change, one `describe` per hole, each over real
 * HTTP against a runtime on the embedded PostgreSQL. Every test here failed (or hung) on the code before
 * the change (9687a25) where that code had the hole; the process-level defaults are in start-config.test.ts.
 */
import { connect, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseApiKeys } from '../../runtime/http/api-keys.ts';
import { createLinkSigner } from '../../runtime/render/index.ts';
import type { Runtime } from '../../runtime/server.ts';
import { signTwilio } from '../fakes/sign.ts';
import { API_KEY, eventually, SIGNING_SECRET, startTestRuntime } from '../runtime/harness.ts';
import { CONFIGURED_ENV, READ_KEY, TRIGGER_KEY } from './support.ts';

const PUBLIC_URL = 'https://herald.example.test';
const TWILIO_TOKEN = CONFIGURED_ENV.TWILIO_AUTH_TOKEN!;
const links = createLinkSigner(SIGNING_SECRET);

/** Behind an https public URL, with scoped keys and /metrics on its own port. */
let secure: Runtime;
/** On plain http (no public URL): no HSTS. */
let plain: Runtime;

beforeAll(async () => {
  [secure, plain] = await Promise.all([
    startTestRuntime('security_fixes', {
      publicUrl: PUBLIC_URL,
      env: CONFIGURED_ENV,
      apiKeys: parseApiKeys(API_KEY, `app-server:trigger:${TRIGGER_KEY},reader:read:${READ_KEY}`, 32),
      metricsPort: 0,
    }),
    startTestRuntime('security_fixes_plain', { env: CONFIGURED_ENV }),
  ]);
}, 90_000);

afterAll(async () => {
  await Promise.all([secure?.stop(), plain?.stop()]);
});

async function call(method: string, path: string, options: { key?: string | null; body?: unknown; runtime?: Runtime } = {}) {
  const key = options.key === undefined ? API_KEY : options.key;
  const response = await fetch(`${(options.runtime ?? secure).url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(key === null ? {} : { authorization: `Bearer ${key}` }) },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await response.text();
  let body: Record<string, unknown> | null = null;
  try {
    body = text ? (JSON.parse(text) as Record<string, unknown>) : null;
  } catch {
    // Not every answer is JSON (metrics, pages): callers that need the text read `text`.
  }
  return { status: response.status, body, text, headers: response.headers };
}

async function user(id: string, fields: Record<string, unknown> = {}) {
  const r = await call('PUT', `/v1/users/${id}`, { body: { email: `${id}@example.com`, ...fields } });
  expect(r.status, r.text).toBe(200);
}

async function preferencesOf(id: string) {
  const r = await call('GET', `/v1/users/${id}/preferences`);
  expect(r.status, r.text).toBe(200);
  return r.body;
}

async function storedCategories(runtime: Runtime, userId: string): Promise<string[]> {
  const { rows } = await runtime.db.query<{ category: string }>('SELECT category FROM herald.preferences WHERE user_id = $1', [userId]);
  return rows.map((r) => r.category);
}

describe('an empty API key', () => {
  it('refuses a bearer of a non-breaking space, or of nothing, on a /v1 route', async () => {
    for (const authorization of ['Bearer \u00a0', 'Bearer ', 'Bearer']) {
      const r = await fetch(`${secure.url}/v1/users/nobody/messages`, { headers: { authorization } });
      expect(r.status, JSON.stringify(authorization)).toBe(401);
    }
  });

  it('cannot be the key of a runtime (the old runtime took it, and the bearer of a non-breaking space with it)', async () => {
    const attempt = await startTestRuntime('security_empty_key', { apiKey: '' }).catch((error: unknown) => error);
    if (!(attempt instanceof Error)) {
      const status = (await fetch(`${(attempt as Runtime).url}/v1/users/nobody/messages`, { headers: { authorization: 'Bearer \u00a0' } })).status;
      await (attempt as Runtime).stop();
      expect(status, 'HERALD_API_KEY="" let `Bearer \\u00a0` in').toBe(401);
    }
    expect(attempt).toBeInstanceOf(Error);
    expect((attempt as Error).message).toMatch(/HERALD_API_KEY is empty/);
  });
});

describe('prototype pollution', () => {
  // Were a form to pollute Object.prototype, the rest of this process would see it: undo it after each test.
  afterEach(() => {
    delete (Object.prototype as Record<string, unknown>).sms;
  });

  it('the preference form with __proto__ toggles pollutes nothing and stores nothing', async () => {
    await user('proto-victim', { phone_number: '+15550001001' });
    await user('proto-other', { phone_number: '+15550001002' });
    const before = await preferencesOf('proto-other');
    const token = links.preferences('proto-victim', Date.now());
    for (const form of ['shown=__proto__:sms&on=__proto__:sms', 'shown=__proto__:sms']) {
      const r = await fetch(`${secure.url}/preferences/${token}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form,
        redirect: 'manual',
      });
      expect(({} as Record<string, unknown>).sms, `Object.prototype.sms after ${form}`).toBeUndefined();
      expect([303, 400], form).toContain(r.status);
    }
    expect(await storedCategories(secure, 'proto-victim')).not.toContain('__proto__');
    expect(await preferencesOf('proto-other')).toEqual(before);
  });

  it("Courier's topic __proto__ is no one's id: 404, nothing stored", async () => {
    await user('proto-courier');
    const r = await call('PUT', '/users/proto-courier/preferences/__proto__', { body: { topic: { status: 'OPTED_OUT' } } });
    expect(r.status, r.text).toBe(404);
    expect(await storedCategories(secure, 'proto-courier')).toEqual([]);
  });

  it('a workflow or dashboard asset named constructor is 404, not a 500', async () => {
    const trigger = await call('POST', '/v1/workflows/constructor/trigger', { body: { userId: 'proto-victim', data: {} } });
    expect(trigger.status, trigger.text).toBe(404);
    const asset = await fetch(`${secure.url}/dashboard/assets/constructor`);
    expect(asset.status).toBe(404);
  });
});

describe('the preference link an unsubscribe hands on', () => {
  it('lives an hour, not 30 days', async () => {
    await user('leaver');
    const unsubscribe = links.unsubscribe({ userId: 'leaver', category: 'promotions', channel: 'email', messageId: null }, Date.now());
    const r = await fetch(`${secure.url}/unsubscribe/${unsubscribe}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click&source=page',
      redirect: 'manual',
    });
    expect(r.status).toBe(303);
    const location = r.headers.get('location')!;
    expect(location).toMatch(/^\.\.\/preferences\/[\w-]+\.[\w-]+\?/);
    const token = location.slice('../preferences/'.length).split('?')[0]!;
    const claim = JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString('utf8')) as { kind: string; userId: string; exp: number };
    expect(claim).toMatchObject({ kind: 'preferences', userId: 'leaver' });
    // A minute of slack for the request itself; the old code handed on 30 days.
    expect(claim.exp).toBeLessThanOrEqual(Date.now() + 60 * 60 * 1000 + 60_000);
    const page = await fetch(new URL(location, `${secure.url}/unsubscribe/${unsubscribe}`));
    expect(page.status).toBe(200);
  });
});

describe('Twilio inbound STOP replayed', () => {
  const phone = '+15550002001';
  const inbound = (params: Record<string, string>) =>
    fetch(`${secure.url}/webhooks/twilio/inbound`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': signTwilio(TWILIO_TOKEN, `${PUBLIC_URL}/webhooks/twilio/inbound`, params),
      },
      body: new URLSearchParams(params).toString(),
    });
  const optedOut = async () => ((await call('GET', '/v1/users/texter')).body!.user as { sms_opt_out: boolean }).sms_opt_out;

  it('does not opt the person out again after a START', async () => {
    await user('texter', { phone_number: phone });
    const stop = { From: phone, To: '+15005550006', Body: 'STOP', MessageSid: 'SM1' };
    expect((await inbound(stop)).status).toBe(200);
    expect(await optedOut()).toBe(true);
    expect((await inbound({ ...stop, Body: 'START', MessageSid: 'SM2' })).status).toBe(200);
    expect(await optedOut()).toBe(false);

    const replay = await inbound(stop);
    expect(replay.status).toBe(200);
    expect(replay.headers.get('x-herald-duplicate')).toBe('true');
    expect(await optedOut()).toBe(false);
  });
});

describe('webhook signature headers before bodies', () => {
  const sockets: Socket[] = [];
  afterEach(() => {
    for (const s of sockets.splice(0)) s.destroy();
  });

  /**
   * The status line of the answer to a chunked POST whose body never ends: a first chunk, then nothing, not
   * even the last chunk. A server that reads the body before answering never answers.
   */
  function unendingPost(path: string, contentType: string): Promise<string> {
    const { port } = new URL(secure.url);
    return new Promise((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1');
      sockets.push(socket);
      let received = '';
      socket.on('error', reject);
      socket.on('data', (chunk) => {
        received += chunk.toString('latin1');
        if (received.includes('\r\n')) resolve(received.slice(0, received.indexOf('\r\n')));
      });
      socket.write(`POST ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: ${contentType}\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n`);
    });
  }

  // The old code read the body first and never answered: the test's timeout is the failure there.
  it('answers 401 to an unsigned request whose body never ends', { timeout: 5_000 }, async () => {
    expect(await unendingPost('/webhooks/sendgrid', 'application/json')).toMatch(/^HTTP\/1\.1 401 /);
    expect(await unendingPost('/webhooks/twilio/inbound', 'application/x-www-form-urlencoded')).toMatch(/^HTTP\/1\.1 401 /);
    expect(await unendingPost('/webhooks/segment', 'application/json')).toMatch(/^HTTP\/1\.1 401 /);
  });
});

describe('/metrics', () => {
  it('needs a read key on the API port', async () => {
    const anonymous = await call('GET', '/metrics', { key: null });
    expect(anonymous.status).toBe(401);
    expect(anonymous.text).not.toContain('# HELP');
    const read = await call('GET', '/metrics', { key: READ_KEY });
    expect(read.status).toBe(200);
    expect(read.text).toContain('# HELP');
    expect((await call('GET', '/metrics', { key: TRIGGER_KEY })).status).toBe(403);
  });

  it('is reached by no encoded path, with a key or without', async () => {
    for (const key of [null, READ_KEY]) {
      for (const path of ['/%6detrics', '/%6Detrics', '/metric%73', '/v1/%75sers/x']) {
        const encoded = await call('GET', path, { key });
        expect(encoded.status, path).toBe(404);
        expect(encoded.text).not.toContain('# HELP');
      }
    }
  });

  it('is served without a key on its own port, which serves nothing else', async () => {
    expect(secure.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const open = await fetch(`${secure.metricsUrl}/metrics`);
    expect(open.status).toBe(200);
    expect(await open.text()).toContain('# HELP');
    expect((await fetch(`${secure.metricsUrl}/v1/users/leaver`)).status).toBe(404);
  });
});

describe('security headers', () => {
  const pages = () => [
    `/unsubscribe/${links.unsubscribe({ userId: 'headers', category: 'promotions', channel: 'email', messageId: null }, Date.now())}`,
    `/preferences/${links.preferences('headers', Date.now())}`,
    '/preferences',
    '/inbox/example',
  ];

  it('every page carries a CSP with frame-ancestors, nosniff and a Referrer-Policy; HSTS only behind https', async () => {
    for (const [runtime, https] of [
      [secure, true],
      [plain, false],
    ] as const) {
      for (const path of pages()) {
        const r = await fetch(`${runtime.url}${path}`);
        const where = `${https ? 'https' : 'http'} ${path}`;
        expect(r.status, where).toBe(200);
        expect(r.headers.get('content-security-policy'), where).toMatch(/frame-ancestors 'none'/);
        expect(r.headers.get('x-content-type-options'), where).toBe('nosniff');
        expect(r.headers.get('referrer-policy'), where).toBeTruthy();
        if (https) expect(r.headers.get('strict-transport-security'), where).toMatch(/max-age=\d+/);
        else expect(r.headers.get('strict-transport-security'), where).toBeNull();
      }
    }
  });
});

describe('the audit log', () => {
  type Entry = { actor: string; action: string; target: string | null };
  const entries = async () => ((await call('GET', '/v1/audit?limit=500')).body?.entries ?? []) as Entry[];

  it('records who set preferences and who cancelled a run, by key name, and never a secret', async () => {
    await user('audited');
    const set = await call('PUT', '/v1/users/audited/preferences', { key: TRIGGER_KEY, body: { categories: { promotions: { email: false } } } });
    expect(set.status, set.text).toBe(200);
    const event = await call('POST', '/v1/events', {
      body: { event: 'trial_started', userId: 'audited', properties: { first_name: 'Ada', plan_type: 'pro' } },
    });
    expect(event.status, event.text).toBe(202);
    const runId = (event.body!.runs as string[])[0]!;
    const cancel = await call('POST', `/v1/runs/${runId}/cancel`);
    expect(cancel.status, cancel.text).toBe(200);

    const listed = await entries();
    expect(listed).toContainEqual(expect.objectContaining({ action: 'preferences_set', actor: 'key:app-server', target: 'user:audited' }));
    expect(listed).toContainEqual(expect.objectContaining({ action: 'run_cancelled', actor: 'key:default', target: `run:${runId}` }));
    // Key use is recorded beside the request, not before its answer.
    await eventually('key_used entries for both keys', async () => {
      const used = (await entries()).filter((e) => e.action === 'key_used').map((e) => e.actor);
      return used.includes('key:app-server') && used.includes('key:default');
    });

    expect((await call('GET', '/v1/audit', { key: TRIGGER_KEY })).status).toBe(403);

    const { rows } = await secure.db.query('SELECT * FROM herald.audit_log');
    const stored = JSON.stringify(rows);
    for (const secret of [API_KEY, TRIGGER_KEY, READ_KEY, SIGNING_SECRET, TWILIO_TOKEN]) expect(stored).not.toContain(secret);
  });
});

describe('API key scopes', () => {
  const trial = { event: 'trial_started', userId: 'scoped', properties: { first_name: 'Ada', plan_type: 'pro' } };

  it('a read key cannot trigger, a trigger key cannot read the message log; each can do its own', async () => {
    await user('scoped');
    expect((await call('POST', '/v1/events', { key: READ_KEY, body: trial })).status).toBe(403);
    expect((await call('GET', '/v1/users/scoped/messages', { key: TRIGGER_KEY })).status).toBe(403);
    expect((await call('POST', '/v1/events', { key: TRIGGER_KEY, body: trial })).status).toBe(202);
    expect((await call('GET', '/v1/users/scoped/messages', { key: READ_KEY })).status).toBe(200);
  });
});
