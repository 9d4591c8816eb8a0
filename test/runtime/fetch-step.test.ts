/**
 * The fetch step on the real runtime (pg-boss driver) against a local HTTP server: the answer branches the run
 * and renders in a template, the secret header reaches the server and never the why-log; a timeout and a 5xx
 * are retried; bad JSON and a schema mismatch fail the run with the reason in its history; an SSRF attempt to
 * the cloud metadata address is refused by the outbound guard.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FETCH_MAX_BYTES, performFetch } from '../../runtime/execution/fetch-step.ts';
import { outboundPolicy } from '../../runtime/outbound/guard.ts';
import type { Runtime } from '../../runtime/server.ts';
import { compileTree, ROOT } from '../setup/tree.ts';
import { client, eventually, messagesOf, startTestRuntime, type Api } from './harness.ts';

const TOKEN = 'Bearer s3cret-shop-token';

const tree = (port: number) => `import { env, event, provider, settings, template, workflow, z } from 'herald';
export const config = settings({ addressGrace: '0s' });
export const cartAbandoned = event('cart_abandoned', { schema: z.object({ cart_id: z.string() }) });
export const probe = event('probe', { schema: z.object({}) });
export const mail = provider('sandbox-email', { channel: 'email', kind: 'sandbox' });
export const reminder = template('reminder', { data: cartAbandoned, email: { subject: 'Cart {{cart_id}} is {{fetched.cart.status}}', text: 'Come back' } });
export const chase = workflow('chase', {
  trigger: cartAbandoned,
  steps: (s) => [
    s.fetch('cart', {
      url: 'http://127.0.0.1:${port}/carts/{{cart_id}}',
      headers: { Authorization: env('SHOP_TOKEN') },
      response: z.object({ status: z.enum(['open', 'paid']) }),
      timeout: '400ms',
    }),
    s.branch('still-open', [{ when: s.fetched('cart', 'status').eq('open'), then: [s.send('remind', { template: reminder, channel: 'email' })] }]),
  ],
});
export const metadata = workflow('metadata', {
  trigger: probe,
  steps: (s) => [s.fetch('meta', { url: 'https://169.254.169.254/latest/meta-data/', response: z.object({}) })],
});
`;

/** Requests by path, and the Authorization each carried. */
const seen: { path: string; authorization: string | undefined }[] = [];
const hanging: ServerResponse[] = [];
let flaky = 0;

function shop(req: IncomingMessage, res: ServerResponse): void {
  const path = req.url ?? '';
  seen.push({ path, authorization: req.headers.authorization });
  const json = (status: number, body: string): void => void res.writeHead(status, { 'content-type': 'application/json' }).end(body);
  if (path === '/carts/open') return json(200, JSON.stringify({ status: 'open', internal_note: 'kept out of the run' }));
  if (path === '/carts/paid') return json(200, '{"status":"paid"}');
  if (path === '/carts/flaky') return (flaky += 1) === 1 ? json(503, 'try later') : json(200, '{"status":"open"}');
  if (path === '/carts/bad') return json(200, '<html>not json</html>');
  if (path === '/carts/lost') return json(200, '{"status":"lost"}');
  if (path === '/carts/slow') return void hanging.push(res);
  if (path === '/carts/busy') return void res.writeHead(429, { 'retry-after': '7' }).end('slow down');
  if (path === '/carts/huge') return json(200, JSON.stringify({ status: 'open', pad: 'x'.repeat(FETCH_MAX_BYTES) }));
  json(404, '{}');
}

let server: Server;
let port = 0;
let runtime: Runtime;
let api: Api;
/** Case → its run's id, started in beforeAll. */
const runs = new Map<string, Promise<string>>();

beforeAll(async () => {
  server = createServer(shop);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  const bundle = await compileTree(join(ROOT, 'test', `.tmp-fetch-step-${process.pid}`), { 'tree.ts': tree(port) });
  // A developer's runtime: the outbound guard allows http to loopback (where the shop listens) only in development.
  runtime = await startTestRuntime('fetch_step', { bundle, env: { SHOP_TOKEN: TOKEN }, mode: 'development' });
  api = client(runtime);
  await api('PUT', '/v1/users/shopper', { email: 'shopper@example.com' });
  // Every case's run at once: the retried ones wait out their backoff side by side, not one after the other.
  for (const cart of ['open', 'paid', 'flaky', 'slow', 'bad', 'lost']) runs.set(cart, start('cart_abandoned', { cart_id: cart }));
  runs.set('probe', start('probe', {}));
}, 120_000);
afterAll(async () => {
  await runtime?.stop();
  for (const res of hanging) res.destroy();
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
});

interface RunView {
  status: string;
  history: { stepId: string; kind: string; outcome: string; detail?: Record<string, unknown> }[];
}
const run = async (id: string) => (await api<{ run: RunView }>('GET', `/v1/runs/${id}`)).body.run;
const start = async (event: string, properties: Record<string, string>) =>
  (await api<{ runs: string[] }>('POST', '/v1/events', { event, userId: 'shopper', properties })).body.runs[0]!;
const ended = (id: string) =>
  eventually(
    `run ${id} ends`,
    async () => {
      const view = await run(id);
      return ['completed', 'failed'].includes(view.status) ? view : null;
    },
    30_000,
  );
const fetchLog = (view: RunView) => view.history.filter((h) => h.kind === 'fetch');
const development = outboundPolicy({}, 'development');
const production = outboundPolicy({}, 'production');

describe('fetch step (pg-boss driver)', () => {
  it('branches on the answer and renders it; the secret header reaches the server, never the why-log', async () => {
    const [open, paid] = await Promise.all([runs.get('open')!, runs.get('paid')!]);
    const [openRun, paidRun] = await Promise.all([ended(open), ended(paid)]);
    expect(openRun.status).toBe('completed');
    expect(fetchLog(openRun).map((h) => h.outcome)).toEqual(['requesting', 'fetched']);
    expect(openRun.history.find((h) => h.kind === 'branch')?.detail).toMatchObject({ arm: 0 });
    expect(paidRun.history.find((h) => h.kind === 'branch')?.detail).toMatchObject({ arm: 'otherwise' });
    const messages = (await messagesOf(api, 'shopper')).filter((m) => m.runId === open);
    expect(messages.map((m) => m.content?.subject)).toEqual(['Cart open is open']);
    expect(seen.find((s) => s.path === '/carts/open')?.authorization).toBe(TOKEN);
    const stored = JSON.stringify(openRun);
    expect(stored).not.toContain('s3cret');
    expect(stored).toContain('Authorization'); // the header's name is logged, its value never
  });

  it('retries a 5xx, then goes on with the answer', async () => {
    const view = await ended(await runs.get('flaky')!);
    expect(view.status).toBe('completed');
    expect(fetchLog(view).map((h) => h.outcome)).toEqual(['requesting', 'retrying', 'requesting', 'fetched']);
    expect(fetchLog(view)[1]?.detail).toMatchObject({ attempt: 1, error: 'http_503', status: 503, response: 'try later' });
  });

  it('retries a timeout twice, then fails the run (onError: fail)', async () => {
    const view = await ended(await runs.get('slow')!);
    expect(view.status).toBe('failed');
    expect(fetchLog(view).map((h) => `${h.outcome}:${h.detail?.error ?? ''}`)).toEqual([
      'requesting:',
      'retrying:timeout',
      'requesting:',
      'retrying:timeout',
      'requesting:',
      'failed:timeout',
    ]);
    expect(seen.filter((s) => s.path === '/carts/slow')).toHaveLength(3);
  }, 40_000);

  it.each([
    ['bad JSON', 'bad', 'bad_json'],
    ['a schema mismatch', 'lost', 'schema_mismatch'],
  ])('fails on %s at once, with the answer and why in the why-log', async (_, cart, error) => {
    const view = await ended(await runs.get(cart)!);
    expect(view.status).toBe('failed');
    const failed = fetchLog(view).at(-1);
    expect(failed).toMatchObject({ outcome: 'failed', detail: { attempt: 1, error, onError: 'fail' } });
    expect(view.history.at(-1)).toMatchObject({ kind: 'run', outcome: 'failed', detail: { reason: 'fetch_failed', stepId: 'cart', error } });
    if (error === 'schema_mismatch') expect(failed?.detail?.issues).toEqual([expect.stringMatching(/^status: /)]);
  });

  it('refuses an SSRF attempt to the cloud metadata address', async () => {
    const view = await ended(await runs.get('probe')!);
    expect(view.status).toBe('failed');
    const failed = fetchLog(view).at(-1);
    expect(failed).toMatchObject({ outcome: 'failed', detail: { attempt: 1, error: 'refused' } });
    expect(String(failed?.detail?.message)).toMatch(/169\.254\.169\.254/);
  });

  it("never reads the runtime's own settings into a header, even for a job the engine did not check", async () => {
    const action = { type: 'fetch' as const, stepId: 'cart', attempt: 1, url: `http://127.0.0.1:${port}/carts/open`, timeoutMs: 400 };
    const before = seen.length;
    const outcome = await performFetch({ ...action, headers: { Authorization: { env: 'DATABASE_URL' } } }, { DATABASE_URL: 'postgres://secret' }, development);
    expect(outcome).toMatchObject({ kind: 'error', error: 'refused', message: expect.stringMatching(/DATABASE_URL .*DATABASE_\*/) });
    expect(seen.length).toBe(before);
  });

  it("hands the engine the server's Retry-After with an error status", async () => {
    const action = { type: 'fetch' as const, stepId: 'cart', attempt: 1, url: `http://127.0.0.1:${port}/carts/busy`, headers: {}, timeoutMs: 400 };
    expect(await performFetch(action, {}, development)).toEqual({ kind: 'response', status: 429, body: 'slow down', retryAfterMs: 7_000 });
  });

  it('gives up on an answer over the size limit (too_large), never reading it whole', async () => {
    const action = { type: 'fetch' as const, stepId: 'cart', attempt: 1, url: `http://127.0.0.1:${port}/carts/huge`, headers: {}, timeoutMs: 2_000 };
    expect(await performFetch(action, {}, development)).toEqual({
      kind: 'error',
      error: 'too_large',
      message: `the answer is over ${FETCH_MAX_BYTES} bytes`,
    });
  });

  it('refuses http to loopback when the runtime runs in production mode', async () => {
    const action = { type: 'fetch' as const, stepId: 'cart', attempt: 1, url: `http://127.0.0.1:${port}/carts/open`, headers: {}, timeoutMs: 400 };
    const before = seen.length;
    expect(await performFetch(action, {}, production)).toMatchObject({ kind: 'error', error: 'refused' });
    expect(seen.length).toBe(before);
    expect(await performFetch(action, {}, development)).toMatchObject({ kind: 'response', status: 200 });
  });
});
