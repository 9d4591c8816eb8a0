/**
 * What the outage, SIGTERM and provider-storm cases share: a one-send workflow (one email per trigger,
 * through SendGrid's SDK to the local fakes), triggers fired from the test, a timestamping relay in front of
 * a fake (the fakes record what they received, not when), and the accounting that turns "what the provider
 * received" into delivered, lost and duplicated runs.
 */
import { createServer, request, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import pg from 'pg';
import { sealBundle } from '../../compiler/bundle/canonical.ts';
import type { Bundle } from '../../compiler/bundle/schema.ts';
import { compileTree, ROOT } from '../setup/tree.ts';
import type { FakeProvider } from '../fakes/providers.ts';
import type { RuntimeProcess } from '../setup/runtime-process.ts';

export const API_KEY = 'fault-delivery-key-0123456789-0123456789';
export const PRIMARY_KEY = 'SG.fault-primary-key';
export const SECONDARY_KEY = 'SG.fault-secondary-key';
export const WORKFLOW = 'fault-send';

/**
 * One workflow, one email per trigger. The channel fails over from `sg-primary` to `sg-secondary` and has no
 * sandbox behind them: a message both providers failed is `failed`, never silently "sent" to a sandbox.
 * The providers' base URLs are filled in per test (`withProviderUrls`), as the fakes' ports are only known then.
 */
const TREE = `import { channel, env, event, provider, template, workflow, z } from 'herald';

export const primary = provider('sg-primary', { channel: 'email', kind: 'sendgrid', credentials: { apiKey: env('SG_PRIMARY_KEY') }, from: 'faults@example.com' });
export const secondary = provider('sg-secondary', { channel: 'email', kind: 'sendgrid', credentials: { apiKey: env('SG_SECONDARY_KEY') }, from: 'faults@example.com' });
export const email = channel('email', { providers: [primary, secondary] });

export const note = event('fault_note', { schema: z.object({ n: z.number() }) });
export const body = template('fault-note', { data: note, email: { subject: 'Note {{n}}', text: 'Note number {{n}}.' } });
export const send = workflow('${WORKFLOW}', { trigger: note, steps: (s) => [s.send('note', { template: body, channel: 'email' })] });
`;

let compiled: Promise<Bundle> | null = null;

/** The tree compiled once per test file, in a gitignored folder (the compiler reads files). */
export function sendBundle(): Promise<Bundle> {
  compiled ??= compileTree(join(ROOT, 'test', `.tmp-faults-delivery-${process.pid}`), { 'send.ts': TREE });
  return compiled;
}

/** The bundle with each provider pointed at its fake (or relay); `secondary` unset leaves the channel one provider. */
export function withProviderUrls(bundle: Bundle, urls: { primary: string; secondary?: string }): Bundle {
  const { version: _version, formatVersion: _format, ...content } = bundle;
  const primary = content.providers['sg-primary']!;
  const secondary = content.providers['sg-secondary']!;
  const providers: Bundle['providers'] = { 'sg-primary': { ...primary, options: { ...primary.options, apiUrl: urls.primary } } };
  if (urls.secondary) providers['sg-secondary'] = { ...secondary, options: { ...secondary.options, apiUrl: urls.secondary } };
  return sealBundle({ ...content, providers, channels: { ...content.channels, email: { channel: 'email', providers: Object.keys(providers) } } });
}

/** The environment that gives both providers their (fake) credentials. */
export const providerEnv: Record<string, string> = { SG_PRIMARY_KEY: PRIMARY_KEY, SG_SECONDARY_KEY: SECONDARY_KEY, HERALD_LOG_LEVEL: 'warn' };

// ---------------------------------------------------------------------------------------------------------
// Triggers

export interface TriggerOutcome {
  n: number;
  /** When it was sent (ms since the epoch) and how long the answer took. */
  at: number;
  ms: number;
  /** The HTTP status, or 0 when no answer came (connection refused or reset, timed out). */
  status: number;
  runs: string[];
  errorCode: string | null;
  transport: string | null;
}

/** One trigger of the workflow, to its own address; never throws (a refused connection is status 0). */
export async function trigger(url: string, n: number, timeoutMs = 20_000): Promise<TriggerOutcome> {
  const at = Date.now();
  const started = performance.now();
  try {
    const response = await fetch(`${url}/v1/workflows/${WORKFLOW}/trigger`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ to: { email: `r${n}@example.com` }, data: { n } }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = (await response.json().catch(() => null)) as { runs?: string[]; error?: { code?: string } } | null;
    return { n, at, ms: performance.now() - started, status: response.status, runs: body?.runs ?? [], errorCode: body?.error?.code ?? null, transport: null };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    return {
      n,
      at,
      ms: performance.now() - started,
      status: 0,
      runs: [],
      errorCode: null,
      transport: cause?.code ?? (error instanceof Error ? error.name : String(error)),
    };
  }
}

/** Fires `trigger` every `intervalMs` without waiting for answers (an open loop: a slow answer does not slow the rate). */
export function steadyLoad(url: () => string, intervalMs: number, first = 0) {
  const pending: Promise<TriggerOutcome>[] = [];
  let n = first;
  const timer = setInterval(() => pending.push(trigger(url(), n++)), intervalMs);
  return {
    /** Stops firing and waits for every answer. */
    async stop(): Promise<TriggerOutcome[]> {
      clearInterval(timer);
      return Promise.all(pending);
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// What the providers received

/** Herald's ids, which travel in SendGrid's `custom_args`. */
export function heraldIds(body: unknown): { messageId: string | null; runId: string | null } {
  const args = (body as { custom_args?: Record<string, string> } | null | undefined)?.custom_args;
  return { messageId: args?.herald_message_id ?? null, runId: args?.herald_run_id ?? null };
}

/** Runs the fakes accepted a message of (2xx), with how many times: more than once is a duplicate. */
export function acceptedByRun(...fakes: FakeProvider[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const fake of fakes) {
    for (const r of fake.requests) {
      const { runId } = heraldIds(r.body);
      if (runId && r.answer && r.answer.status < 300) counts.set(runId, (counts.get(runId) ?? 0) + 1);
    }
  }
  return counts;
}

export interface Delivery {
  /** Accepted runs the providers never accepted a message of. */
  lost: string[];
  /** Runs whose message the providers accepted more than once. */
  duplicates: string[];
  delivered: number;
}

export function account(accepted: string[], byRun: Map<string, number>): Delivery {
  const lost = accepted.filter((id) => !byRun.has(id));
  const duplicates = [...byRun].filter(([, count]) => count > 1).map(([id]) => id);
  return { lost, duplicates, delivered: accepted.length - lost.length };
}

/** Statuses of runs, straight from the runtime's database. */
export async function runStatuses(databaseUrl: string): Promise<Map<string, string>> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ id: string; status: string }>('SELECT id, status FROM herald.runs');
    return new Map(rows.map((r) => [r.id, r.status]));
  } finally {
    await client.end();
  }
}

/** A run's message as the runtime logged it: provider, status and every attempt, for failure messages. */
export async function messageLog(databaseUrl: string, runId: string): Promise<string> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ provider: string | null; status: string; history: unknown }>(
      'SELECT provider, status, history FROM herald.messages WHERE run_id = $1',
      [runId],
    );
    return rows.map((r) => `${r.status} by ${r.provider}: ${JSON.stringify(r.history)}`).join('\n') || '(no message logged)';
  } finally {
    await client.end();
  }
}

// ---------------------------------------------------------------------------------------------------------
// A timestamping relay

export interface Stamp {
  /** When the request reached the relay (ms since the epoch). */
  at: number;
  messageId: string | null;
  runId: string | null;
  /** The provider's answer, null while pending or when the caller gave up first. */
  status: number | null;
  /** The caller hung up before the answer (the adapter's timeout). */
  abandoned: boolean;
}

export interface StampingRelay {
  url: string;
  stamps: Stamp[];
  close(): Promise<void>;
}

/**
 * A transparent HTTP relay in front of a fake provider that stamps each request's arrival time: the fakes
 * keep what they received but not when, and a Retry-After or a request rate is a matter of when. When the
 * caller hangs up (its timeout), the request to the fake is cut too, as the provider would see it.
 */
export async function startStampingRelay(target: string): Promise<StampingRelay> {
  const upstream = new URL(target);
  const stamps: Stamp[] = [];
  const server = createServer((req, res) => {
    const stamp: Stamp = { at: Date.now(), messageId: null, runId: null, status: null, abandoned: false };
    stamps.push(stamp);
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      try {
        Object.assign(stamp, heraldIds(JSON.parse(raw.toString('utf8'))));
      } catch {
        // not JSON: no ids to stamp
      }
      const headers: IncomingHttpHeaders = { ...req.headers, host: upstream.host };
      const out = request({ host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers }, (answer) => {
        stamp.status = answer.statusCode ?? 0;
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      out.on('error', () => res.destroy());
      res.on('close', () => {
        if (res.writableFinished) return;
        stamp.abandoned = true;
        out.destroy();
      });
      out.end(raw);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stamps,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Requests per whole second since `from`, as [second, count] for every second of [from, to). */
export function perSecond(stamps: Stamp[], from: number, to: number): number[] {
  const buckets = new Array<number>(Math.max(0, Math.ceil((to - from) / 1000))).fill(0);
  for (const s of stamps) if (s.at >= from && s.at < to) buckets[Math.floor((s.at - from) / 1000)]!++;
  return buckets;
}

// ---------------------------------------------------------------------------------------------------------
// Failure messages

/** The last lines a runtime process wrote, for failure messages. */
export function tail(runtime: RuntimeProcess | undefined, lines = 30): string {
  if (!runtime) return '(no process)';
  // Lines cut at 300 characters: a logged error carries its whole stack on one JSON line.
  const last = runtime.output
    .join('')
    .split('\n')
    .slice(-lines)
    .map((l) => (l.length > 300 ? `${l.slice(0, 300)}…` : l));
  return `--- output of process ${runtime.pid}, last ${lines} lines ---\n${last.join('\n')}`;
}

/** Polls `fn` until it returns a truthy value; on timeout, fails with `what` and `context()`. */
export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | null | undefined | false>,
  timeoutMs: number,
  context: () => string = () => '',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = null;
  for (;;) {
    try {
      const value = await fn();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}\n${context()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A figure rounded for reports. */
export const round = (value: number, digits = 0) => Number(value.toFixed(digits));
