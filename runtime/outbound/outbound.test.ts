import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outboundFetch } from './fetch.ts';
import { checkOutboundUrl, type OutboundPolicy, OutboundRefusedError, outboundPolicy, parseOutboundAllow } from './guard.ts';
import { generateWebhookSecret, signWebhook, webhookSecretProblem } from './sign.ts';
import type { OutboundEvent } from '../outbox/event-types.ts';
import { postEvent } from '../outbox/post.ts';
import { postSignedJson } from './signed-post.ts';

/** A policy whose DNS is a table: names resolve as the test says, never through the network. */
function policy(options: { development?: boolean; allow?: string; dns?: Record<string, string[]> } = {}): OutboundPolicy {
  const dns = options.dns ?? {};
  return {
    development: options.development ?? false,
    ...parseOutboundAllow(options.allow),
    resolve: async (host) => {
      if (!Object.hasOwn(dns, host)) throw Object.assign(new Error(`no such host ${host}`), { code: 'ENOTFOUND' });
      return dns[host]!;
    },
  };
}

async function refusal(url: string, p: OutboundPolicy): Promise<OutboundRefusedError> {
  const error = await checkOutboundUrl(url, p).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(OutboundRefusedError);
  return error as OutboundRefusedError;
}

describe('outbound URL guard', () => {
  it('refuses the cloud metadata address, naming the rule and HERALD_OUTBOUND_ALLOW', async () => {
    const error = await refusal('https://169.254.169.254/latest/meta-data/', policy());
    expect(error.rule).toBe('address');
    expect(error.message).toMatch(/link-local.*HERALD_OUTBOUND_ALLOW/);
  });

  it('refuses a name that resolves into a private range, and any of several addresses', async () => {
    const dns = { 'crm.example.com': ['10.1.2.3'], 'mixed.example.com': ['93.184.216.34', 'fd00::1'] };
    expect((await refusal('https://crm.example.com/hook', policy({ dns }))).message).toMatch(/10\.1\.2\.3.*private/);
    expect((await refusal('https://mixed.example.com/', policy({ dns }))).message).toMatch(/unique-local/);
  });

  it.each([
    ['https://100.64.0.1/', 'carrier-grade NAT'],
    ['https://0.0.0.0/', 'unspecified'],
    ['https://[::ffff:192.168.0.1]/', 'private'],
    ['https://[fe80::1]/', 'link-local'],
    ['https://224.0.0.1/', 'multicast'],
    ['https://127.0.0.1/', 'loopback'],
  ])('refuses %s (%s) outside development', async (url, range) => {
    expect((await refusal(url, policy())).message).toContain(range);
  });

  it.each([
    ['https://[::a9fe:a9fe]/', 'IPv4-compatible'],
    ['https://[64:ff9b::a9fe:a9fe]/', 'NAT64'],
    ['https://[64:ff9b::808:808]/', 'NAT64'],
    ['https://[64:ff9b:1:a9fe:a9fe::]/', 'local-use NAT64'],
  ])('refuses %s, an IPv6 address carrying an IPv4 (%s)', async (url, range) => {
    expect((await refusal(url, policy())).message).toContain(range);
    expect((await refusal(url, policy({ development: true }))).message).toContain(range);
  });

  it('allows loopback only when the runtime runs in development mode, or NODE_ENV=development says so', () => {
    const dev = (env: NodeJS.ProcessEnv, mode?: 'development' | 'production') => outboundPolicy(env, mode).development;
    expect(dev({})).toBe(true); // the embedded database at 127.0.0.1: `herald start` on a laptop
    expect(dev({ DATABASE_URL: 'postgres://db/herald' })).toBe(false); // NODE_ENV unset, but a real database: production
    expect(dev({ HERALD_HOST: '0.0.0.0' })).toBe(false);
    expect(dev({ NODE_ENV: 'production' })).toBe(false);
    expect(dev({ NODE_ENV: 'test', DATABASE_URL: 'postgres://db/herald' })).toBe(false);
    expect(dev({ NODE_ENV: 'development', DATABASE_URL: 'postgres://db/herald' })).toBe(true);
    expect(dev({ DATABASE_URL: 'postgres://db/herald' }, 'development')).toBe(true); // herald dev
    expect(dev({}, 'production')).toBe(false);
  });

  it('lets through what HERALD_OUTBOUND_ALLOW lists: a CIDR, or a host name whatever it resolves to', async () => {
    const dns = { 'crm.internal': ['10.1.2.3'], 'billing.corp.internal': ['192.168.1.9'] };
    await expect(checkOutboundUrl('https://crm.internal/hook', policy({ dns, allow: '10.0.0.0/8' }))).resolves.toMatchObject({ addresses: ['10.1.2.3'] });
    await expect(checkOutboundUrl('https://billing.corp.internal/', policy({ dns, allow: '*.corp.internal' }))).resolves.toBeTruthy();
    expect(() => parseOutboundAllow('10.0.0.0/99')).toThrow(/HERALD_OUTBOUND_ALLOW.*not a CIDR/);
  });

  it('wants https; http only to loopback in development', async () => {
    expect((await refusal('http://api.example.com/', policy({ dns: { 'api.example.com': ['93.184.216.34'] } }))).rule).toBe('scheme');
    expect((await refusal('http://127.0.0.1:9/', policy())).rule).toBe('scheme');
    expect((await refusal('http://public.example.com/', policy({ development: true, dns: { 'public.example.com': ['93.184.216.34'] } }))).rule).toBe('scheme');
    await expect(checkOutboundUrl('http://127.0.0.1:9/', policy({ development: true }))).resolves.toBeTruthy();
  });
});

describe('outboundFetch (real HTTP on loopback)', () => {
  let server: Server;
  let base: string;
  let hits = 0;
  beforeAll(async () => {
    server = createServer((req, res) => {
      hits++;
      if (req.url === '/to-private') res.writeHead(302, { location: 'https://internal.example/admin' }).end();
      else if (req.url === '/slow') setTimeout(() => res.end('late'), 2000);
      else if (req.url === '/hop') res.writeHead(307, { location: '/ok' }).end();
      else if (req.url === '/to-other-origin') res.writeHead(302, { location: `http://localhost:${(server.address() as AddressInfo).port}/echo` }).end();
      else if (req.url === '/echo') res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(req.headers));
      else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ auth: req.headers.authorization ?? null }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const dev = policy({ development: true, dns: { 'internal.example': ['10.0.0.5'], localhost: ['127.0.0.1'], 'slow-dns.example': [] } });

  it('follows a redirect on the same host, and refuses one into a private range before connecting', async () => {
    const ok = await outboundFetch(`${base}/hop`, { headers: { authorization: 'Bearer t' } }, { timeoutMs: 2000, policy: dev });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ auth: 'Bearer t' });
    const error = await outboundFetch(`${base}/to-private`, {}, { timeoutMs: 2000, policy: dev }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutboundRefusedError);
    expect((error as Error).message).toMatch(/10\.0\.0\.5.*private/);
  });

  it('sends no caller-set header but accept across origins (a secret may have any name)', async () => {
    const headers = { authorization: 'Bearer t', 'x-api-key': 'k', 'x-shop-token': 's', accept: 'application/json' };
    const res = await outboundFetch(`${base}/to-other-origin`, { headers }, { timeoutMs: 2000, policy: dev });
    const seen = (await res.json()) as Record<string, string>;
    expect(seen.host).toMatch(/^localhost:/);
    expect(seen.accept).toBe('application/json');
    expect(Object.keys(seen).filter((name) => name in headers && name !== 'accept')).toEqual([]);
  });

  it('keeps to its deadline while DNS does not answer', async () => {
    const stuck: OutboundPolicy = { ...dev, resolve: () => new Promise<string[]>(() => {}) };
    const started = Date.now();
    await expect(outboundFetch('https://slow-dns.example/', {}, { timeoutMs: 100, policy: stuck })).rejects.toMatchObject({ code: 'HERALD_TIMEOUT' });
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('refuses loopback outside development without a request, and times out with HERALD_TIMEOUT', async () => {
    const before = hits;
    await expect(outboundFetch(`${base}/ok`, {}, { timeoutMs: 2000, policy: policy() })).rejects.toBeInstanceOf(OutboundRefusedError);
    expect(hits).toBe(before);
    await expect(outboundFetch(`${base}/slow`, {}, { timeoutMs: 100, policy: dev })).rejects.toMatchObject({ code: 'HERALD_TIMEOUT' });
  });
});

describe('webhook signatures', () => {
  it("are verified by the standardwebhooks package's own verifier", () => {
    const secret = generateWebhookSecret();
    const body = JSON.stringify({ hello: 'world' });
    const headers = signWebhook(secret, 'msg_1', new Date(), body);
    expect(new Webhook(secret).verify(body, { ...headers })).toEqual({ hello: 'world' });
    expect(() => new Webhook(generateWebhookSecret()).verify(body, { ...headers })).toThrow();
    expect(webhookSecretProblem('not a secret')).toMatch(/whsec_/);
    expect(webhookSecretProblem(secret)).toBeNull();
  });
});

describe('postSignedJson (the webhook channel and the lifecycle webhooks)', () => {
  let server: Server;
  let base = '';
  const received: { url: string; id: string | undefined }[] = [];
  const dev = policy({ development: true });
  const secret = generateWebhookSecret();

  beforeAll(async () => {
    server = createServer((req, res) => {
      received.push({ url: req.url ?? '', id: req.headers['webhook-id'] as string | undefined });
      req.resume();
      if (req.url === '/moved') res.writeHead(301, { location: 'https://example.com/new' }).end();
      else if (req.url === '/chatty') res.writeHead(200).end('x'.repeat(70 * 1024));
      else if (req.url === '/busy') res.writeHead(503, { 'retry-after': '120' }).end('later');
      else if (req.url === '/gone') res.writeHead(410).end();
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{"received":true}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const post = (path: string) => postSignedJson(`${base}${path}`, secret, 'evt_1', '{"a":1}', { timeoutMs: 2000, policy: dev });

  it('delivers on a 2xx, signed under the given id', async () => {
    expect(await post('/ok')).toEqual({ ok: true, status: 200, body: '{"received":true}' });
    expect(received.at(-1)).toEqual({ url: '/ok', id: 'evt_1' });
  });

  it('counts a redirect (not followed) and an answer past 64 KiB (the receiver got it) as permanent', async () => {
    expect(await post('/moved')).toMatchObject({
      ok: false,
      problem: 'redirect',
      permanent: true,
      status: 301,
      message: expect.stringMatching(/https:\/\/example\.com\/new/),
    });
    expect(received.filter((r) => r.url === '/new')).toEqual([]);
    expect(await post('/chatty')).toMatchObject({ ok: false, problem: 'too_large', permanent: true });
  });

  it("reads the receiver's Retry-After on a retryable status; a 4xx is not retryable", async () => {
    expect(await post('/busy')).toMatchObject({
      ok: false,
      problem: 'status',
      permanent: false,
      retryable: true,
      status: 503,
      retryAfterMs: 120_000,
      body: 'later',
    });
    const gone = await post('/gone');
    expect(gone).toMatchObject({ ok: false, problem: 'status', retryable: false, status: 410 });
    expect(gone).not.toHaveProperty('retryAfterMs');
  });

  it('is what an outbox attempt is made of: a redirect and a long answer dead at once, a 5xx retried with its Retry-After', async () => {
    const event: OutboundEvent = { id: 'evt_2', type: 'message.sent', timestamp: '2025-01-01T00:00:00.000Z', data: {} };
    const attempt = (path: string) => postEvent(`${base}${path}`, secret, event, 2000, dev);
    expect(await attempt('/moved')).toMatchObject({ ok: false, permanent: true, statusCode: 301 });
    expect(await attempt('/chatty')).toMatchObject({ ok: false, permanent: true, statusCode: null });
    expect(await attempt('/busy')).toEqual({ ok: false, permanent: false, statusCode: 503, error: 'HTTP 503', retryAfterMs: 120_000 });
    expect(await attempt('/gone')).toEqual({ ok: false, permanent: true, statusCode: 410, error: 'HTTP 410' });
    expect(await attempt('/ok')).toEqual({ ok: true, permanent: false, statusCode: 200, error: null });
  });

  it('refuses a URL the guard refuses without a request, and reports a transport error', async () => {
    const before = received.length;
    expect(await postSignedJson(`${base}/ok`, secret, 'evt_1', '{}', { timeoutMs: 2000, policy: policy() })).toMatchObject({
      problem: 'refused',
      permanent: true,
    });
    expect(received.length).toBe(before);
    const closed = await postSignedJson('http://127.0.0.1:9/', secret, 'evt_1', '{}', { timeoutMs: 2000, policy: dev });
    expect(closed).toMatchObject({ ok: false, problem: 'transport', permanent: false, error: expect.objectContaining({ code: 'ECONNREFUSED' }) });
  });
});
