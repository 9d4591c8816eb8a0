/**
 * What the fault cases of this folder share: one small notifications tree (compiled once per file), a
 * runtime spawned as a real process on a fresh database, plain HTTP over a keep-alive pool (node:http, so
 * that a case controls every byte and header it sends and can tell a hang from an answer), the row counts
 * that say whether anything was accepted, and the process's resident memory.
 */
import { readFileSync, rmSync } from 'node:fs';
import { Agent, request as httpRequest, type OutgoingHttpHeaders } from 'node:http';
import { connect as netConnect } from 'node:net';
import { join } from 'node:path';
import pg from 'pg';
import type { Bundle } from '../../compiler/bundle/schema.ts';
import { compileTree, ROOT } from '../setup/tree.ts';
import { freshDatabase } from '../setup/database.ts';
import { spawnRuntime, writeBundleFile, type RuntimeProcess } from '../setup/runtime-process.ts';

export const FAULT_API_KEY = 'fault-key-0123456789abcdef-0123456789abcdef';

/**
 * `fault_ping` parks its run on a one-day delay (the idempotency case counts runs, and sends would only
 * compete for the two cores); `fault_signup` sends one email at once through SendGrid, its subject and
 * List-Unsubscribe header built from user data (the header-injection probes); `fault_later` waits 20 days,
 * past pg-boss's default 14-day retention, then sends.
 */
const TREE = `import { category, channel, env, event, provider, settings, template, workflow, z } from 'herald';

export const config = settings({ retention: '30d' });
export const sendgrid = provider('fault-sendgrid', { channel: 'email', kind: 'sendgrid', credentials: { apiKey: env('SENDGRID_API_KEY') }, from: 'faults@example.com' });
export const email = channel('email', { providers: [sendgrid] });
export const news = category('news', { description: 'News we send', defaultChannels: ['email'] });

export const ping = event('fault_ping', { schema: z.object({ n: z.number() }) });
export const signup = event('fault_signup', { schema: z.object({ first_name: z.string(), plan: z.enum(['free', 'pro']) }) });
export const later = event('fault_later', { schema: z.object({ first_name: z.string() }) });

export const hello = template('fault-hello', {
  data: signup,
  email: { subject: 'Welcome {{first_name}} to {{plan}} ({{user.traits.nickname}})', text: 'Hi {{first_name}}, leave at {{unsubscribe_url}}' },
});
export const reminder = template('fault-reminder', { data: later, email: { subject: 'Still there, {{first_name}}?', text: 'Twenty days on.' } });

export const parked = workflow('fault-ping', { trigger: ping, steps: (s) => [s.delay('park', '1d')] });
export const welcome = workflow('fault-signup', { trigger: signup, category: 'news', steps: (s) => [s.send('hello', { template: hello, channel: 'email' })] });
export const longWait = workflow('fault-long-wait', {
  trigger: later,
  category: 'news',
  steps: (s) => [s.delay('long', '20d'), s.send('after', { template: reminder, channel: 'email' })],
});
`;

let compiled: Promise<Bundle> | null = null;

/** The fault tree's bundle, compiled once per test file (in a gitignored folder, as the compiler reads files). */
export function faultBundle(): Promise<Bundle> {
  compiled ??= compileTree(join(ROOT, 'test', `.tmp-faults-tree-${process.pid}`), { 'faults.ts': TREE });
  return compiled;
}

export interface FaultRuntime {
  runtime: RuntimeProcess;
  databaseUrl: string;
  bundlePath: string;
  /** A connection of the test's own to the runtime's database, for counting and shifting rows. */
  db: pg.Client;
  close(): Promise<void>;
}

/** A runtime process on a fresh database, running the fault tree, and a client on the same database. */
export async function startFaultRuntime(name: string, env: Record<string, string> = {}): Promise<FaultRuntime> {
  const databaseUrl = await freshDatabase(name);
  const bundlePath = writeBundleFile(await faultBundle(), join(ROOT, 'test', `.tmp-faults-${name}-${process.pid}`));
  const runtime = await spawnRuntime({ bundlePath, databaseUrl, apiKey: FAULT_API_KEY, env: { HERALD_LOG_LEVEL: 'warn', ...env }, startTimeoutMs: 60_000 });
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  return {
    runtime,
    databaseUrl,
    bundlePath,
    db,
    async close() {
      await db.end().catch(() => {});
      await runtime.stop();
      rmSync(join(bundlePath, '..'), { recursive: true, force: true });
    },
  };
}

/** The last lines the process wrote, for failure messages. */
export function outputTail(runtime: RuntimeProcess, lines = 40): string {
  return runtime.output.join('').split('\n').slice(-lines).join('\n');
}

/** Resident memory of a process in KB, from /proc (Linux). */
export function rssKb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!match) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(match[1]);
}

export interface RowCounts {
  runs: number;
  events: number;
  messages: number;
  jobs: number;
}

/**
 * What "accepted" leaves behind: runs, logged events, messages, and pg-boss jobs. Jobs of the clock's own
 * making are left out (the daily retention clean-up and pg-boss's cron relay), so that a test running across
 * 03:17 UTC does not count them as something a request enqueued.
 */
export async function rowCounts(db: pg.Client): Promise<RowCounts> {
  const { rows } = await db.query<RowCounts>(`SELECT
    (SELECT count(*)::int FROM herald.runs) AS runs,
    (SELECT count(*)::int FROM herald.events) AS events,
    (SELECT count(*)::int FROM herald.messages) AS messages,
    (SELECT count(*)::int FROM pgboss.job WHERE name NOT IN ('herald-maintenance', '__pgboss__send-it')) AS jobs`);
  return rows[0]!;
}

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** The body as JSON, or null when it is not JSON. */
  json: unknown;
  ms: number;
}

export interface RequestOptions {
  method?: string;
  headers?: OutgoingHttpHeaders;
  /** Sent as is; an array of chunks is sent without a Content-Length (chunked), as a streaming client would. */
  body?: string | Buffer | Buffer[];
  /** An answer slower than this is a hang: the request fails. */
  timeoutMs?: number;
  agent?: Agent;
}

/** A keep-alive pool of `sockets` connections. */
export function pool(sockets: number): Agent {
  return new Agent({ keepAlive: true, maxSockets: sockets, maxFreeSockets: sockets });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** One HTTP request; rejects on a transport error or when no answer came within `timeoutMs`. */
export function send(url: string, options: RequestOptions = {}): Promise<Reply> {
  const started = performance.now();
  const { body } = options;
  const headers: OutgoingHttpHeaders = { ...options.headers };
  if (typeof body === 'string' || Buffer.isBuffer(body)) headers['content-length'] ??= Buffer.byteLength(body);
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: options.method ?? 'POST', headers, agent: options.agent ?? false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: parseJson(text), ms: performance.now() - started });
      });
    });
    req.setTimeout(options.timeoutMs ?? 15_000, () =>
      req.destroy(new Error(`no answer within ${options.timeoutMs ?? 15_000} ms: ${options.method ?? 'POST'} ${url}`)),
    );
    req.on('error', (error) => {
      // The server may answer (413, 400) and close before it has read a large body: the answer counts.
      reject(error);
    });
    if (Array.isArray(body)) {
      for (const chunk of body) req.write(chunk);
      req.end();
    } else req.end(body);
  });
}

/**
 * One request over a bare socket, reading the answer while the body is still being written, as curl does. A
 * server may refuse a large body as soon as it sees its size (413) and close the connection once draining the
 * rest takes too long (@hono/node-server gives it 500 ms): node:http's client then fails on the write
 * (EPIPE) and drops an answer that did arrive. Here the answer counts whenever it arrived.
 */
export function sendEarly(url: string, options: RequestOptions & { body: string | Buffer | Buffer[] }): Promise<Reply> {
  const started = performance.now();
  const target = new URL(url);
  const chunks = Array.isArray(options.body) ? options.body : [Buffer.from(options.body)];
  const streamed = Array.isArray(options.body);
  // Keep-alive, as clients send by default: with `Connection: close` the server would close (and reset) the
  // connection straight after its answer, before a client still writing could read it. We close it ourselves.
  const headers: Record<string, string | number> = { host: target.host, ...(options.headers as Record<string, string>) };
  if (streamed) headers['transfer-encoding'] = 'chunked';
  else headers['content-length'] = chunks[0]!.length;
  const head = `${options.method ?? 'POST'} ${target.pathname}${target.search} HTTP/1.1\r\n${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}`)
    .join('\r\n')}\r\n\r\n`;
  const timeoutMs = options.timeoutMs ?? 15_000;
  return new Promise((resolve, reject) => {
    const socket = netConnect(Number(target.port), target.hostname);
    let received = Buffer.alloc(0);
    let settled = false;
    const finish = () => {
      if (settled) return;
      const reply = parseAnswer(received);
      if (!reply) return;
      settled = true;
      socket.destroy();
      resolve({ ...reply, ms: performance.now() - started });
    };
    socket.setTimeout(timeoutMs, () => {
      settled = true;
      socket.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms: ${options.method ?? 'POST'} ${url}`));
    });
    socket.on('data', (data: Buffer) => {
      received = Buffer.concat([received, data]);
      finish();
    });
    // A write cut off by the server's close is expected; what matters is whether an answer came first.
    socket.on('error', () => {});
    socket.on('close', () => {
      finish();
      if (!settled) reject(new Error(`connection closed without a complete answer (${received.length} bytes): ${options.method ?? 'POST'} ${url}`));
    });
    socket.on('connect', async () => {
      socket.write(head);
      for (const chunk of chunks) {
        if (socket.destroyed) return;
        const framed = streamed ? Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]) : chunk;
        if (!socket.write(framed)) await new Promise((r) => socket.once('drain', r).once('close', r));
      }
      if (streamed && !socket.destroyed) socket.write('0\r\n\r\n');
    });
  });
}

/** A complete HTTP/1.1 answer with a Content-Length (what our server sends), or null while incomplete. */
function parseAnswer(bytes: Buffer): Omit<Reply, 'ms'> | null {
  const end = bytes.indexOf('\r\n\r\n');
  if (end === -1) return null;
  const [statusLine, ...lines] = bytes.subarray(0, end).toString('latin1').split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const length = Number(headers['content-length'] ?? 0);
  if (bytes.length < end + 4 + length) return null;
  const text = bytes.subarray(end + 4, end + 4 + length).toString('utf8');
  return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine ?? '')?.[1] ?? 0), headers, text, json: parseJson(text) };
}

/** Runs `task(i)` for i in [0, count) with at most `concurrency` in flight. */
export async function inParallel<T>(count: number, concurrency: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      for (let i = next++; i < count; i = next++) results[i] = await task(i);
    }),
  );
  return results;
}

export { seeded } from '../setup/seeded.ts';

/** Fisher–Yates with a seeded random. */
export function shuffle<T>(items: T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Polls until `fn` gives a truthy value. */
export async function until<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs: number, context: () => string = () => ''): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${context()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
