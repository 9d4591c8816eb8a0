/**
 * The machinery of the kill -9 case (kill.test.ts): a workflow that sends one email and one SMS in one job,
 * a supervisor that keeps real `herald start` processes armed with a failpoint alive and counts the kills,
 * a feeder that keeps work queued through whichever process is up, and the tally of what the fake providers
 * received, checked against which messages were in flight at each kill.
 *
 * Attribution: each supervised slot has its own pair of fakes and runs one process at a time, with
 * HERALD_WORKERS=1 (one job in flight). So the requests a slot's fakes received between a process's spawn and
 * its death are that process's, in order, and the last of them say what it was doing when it died.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { Bundle } from '../../compiler/bundle/schema.ts';
import { buildProject } from '../../compiler/build.ts';
import type { FailpointName } from '../../runtime/failpoints.ts';
import { startFakeSendgrid, startFakeTwilio, type FakeProvider, type ReceivedRequest } from '../fakes/providers.ts';
import { spawnRuntime, type RuntimeProcess } from '../setup/runtime-process.ts';
import { FAULT_API_KEY, outputTail, send } from './support.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

export const CHANNELS = ['email', 'sms'] as const;
export type Channel = (typeof CHANNELS)[number];

const SENDGRID_KEY = 'SG.kill-test-key';
const TWILIO_SID = 'AC00000000000000000000000000000099';
const TWILIO_TOKEN = 'kill-test-twilio-token';

/**
 * One send step routed to `all` of email and SMS: one job sends both, in that order, so "duplicates per
 * channel" means something. No sandbox behind the providers: a message that does not reach its fake is lost,
 * not quietly sandboxed. The run id is in both texts, so a resent message (which gets a new message id) is
 * still known as the same (run, channel).
 */
const TREE = `import { channel, env, event, provider, template, workflow, z } from 'herald';

export const sendgrid = provider('kill-sendgrid', { channel: 'email', kind: 'sendgrid', credentials: { apiKey: env('SENDGRID_API_KEY') }, from: 'kill@example.com' });
export const twilio = provider('kill-twilio', { channel: 'sms', kind: 'twilio', credentials: { accountSid: env('TWILIO_ACCOUNT_SID'), authToken: env('TWILIO_AUTH_TOKEN') }, from: '+15005550006' });
export const email = channel('email', { providers: [sendgrid] });
export const sms = channel('sms', { providers: [twilio] });

export const ping = event('kill_ping', { schema: z.object({ n: z.number() }) });
export const both = template('kill-both', {
  data: ping,
  email: { subject: 'kill #{{n}} run {{run_id}}', text: 'Trigger {{n}}.' },
  sms: { body: 'kill #{{n}} run {{run_id}}' },
});
export const everywhere = workflow('kill-both', {
  trigger: ping,
  steps: (s) => [s.send('both', { template: both, routing: { method: 'all', channels: ['email', 'sms'] } })],
});
`;

let compiled: Promise<Bundle> | null = null;

/** The kill tree's bundle, compiled once per file (in a gitignored folder: the compiler reads files). */
export function killBundle(): Promise<Bundle> {
  compiled ??= (async () => {
    const dir = join(root, 'test', `.tmp-kill-tree-${process.pid}`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'kill.ts'), TREE);
    try {
      const built = await buildProject(dir, { cwd: root });
      if (!built.bundle) throw new Error(`the kill tree does not compile: ${built.diagnostics.map((d) => `${d.file}:${d.line} ${d.message}`).join('; ')}`);
      return built.bundle;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  })();
  return compiled;
}

// ── fakes and what they received ─────────────────────────────────────────────────────────────────────────

export interface Fakes {
  sendgrid: FakeProvider;
  twilio: FakeProvider;
}

export async function startFakes(): Promise<Fakes> {
  const [sendgrid, twilio] = await Promise.all([
    startFakeSendgrid({ apiKey: SENDGRID_KEY }),
    startFakeTwilio({ accountSid: TWILIO_SID, authToken: TWILIO_TOKEN }),
  ]);
  return { sendgrid, twilio };
}

/** The environment that points a runtime's adapters at these fakes. */
export function providerEnv(fakes: Fakes): Record<string, string> {
  return {
    SENDGRID_API_KEY: SENDGRID_KEY,
    SENDGRID_API_URL: fakes.sendgrid.url,
    TWILIO_ACCOUNT_SID: TWILIO_SID,
    TWILIO_AUTH_TOKEN: TWILIO_TOKEN,
    TWILIO_API_URL: fakes.twilio.url,
  };
}

/** One message a fake accepted: whose run, and the id the provider gave it. */
export interface Accepted {
  runId: string;
  channel: Channel;
  providerMessageId: string;
  /** When the fake received it. */
  at: number;
}

const RUN_IN_TEXT = /run ([0-9a-f-]{36})/;

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

/** A SendGrid request as an accepted email (null when the fake refused it); the run is in the subject. */
function acceptedEmail(request: ReceivedRequest): Accepted | null {
  if (request.answer?.status !== 202) return null;
  const body = record(request.body);
  const runId = RUN_IN_TEXT.exec(String(body.subject ?? ''))?.[1];
  if (!runId) throw new Error(`an email without a run id in its subject: ${request.raw.slice(0, 300)}`);
  // Our message and run ids also travel in custom_args: the two must agree.
  const customRun = record(body.custom_args).herald_run_id;
  if (customRun !== runId) throw new Error(`custom_args.herald_run_id ${String(customRun)} is not the subject's run ${runId}`);
  return { runId, channel: 'email', providerMessageId: String(request.answer.headers['x-message-id']), at: request.at };
}

/** A Twilio request as an accepted SMS (null when the fake refused it); the run is in the body. */
function acceptedSms(request: ReceivedRequest): Accepted | null {
  if (request.answer?.status !== 201) return null;
  const runId = RUN_IN_TEXT.exec(String(record(request.body).Body ?? ''))?.[1];
  if (!runId) throw new Error(`an SMS without a run id in its body: ${request.raw.slice(0, 300)}`);
  return { runId, channel: 'sms', providerMessageId: String(record(request.answer.body).sid), at: request.at };
}

/** Where each fake's request list stood at a moment: the bounds of one process's life. */
export interface Marks {
  sendgrid: number;
  twilio: number;
}

export const marks = (fakes: Fakes): Marks => ({ sendgrid: fakes.sendgrid.requests.length, twilio: fakes.twilio.requests.length });

/** What one slot's fakes accepted between two marks, per channel, in arrival order. */
export function acceptedBetween(fakes: Fakes, from: Marks, to: Marks): { email: Accepted[]; sms: Accepted[]; refused: number } {
  const emails = fakes.sendgrid.requests.slice(from.sendgrid, to.sendgrid);
  const texts = fakes.twilio.requests.slice(from.twilio, to.twilio);
  const email = emails.map(acceptedEmail).filter((a) => a !== null);
  const sms = texts.map(acceptedSms).filter((a) => a !== null);
  return { email, sms, refused: emails.length + texts.length - email.length - sms.length };
}

// ── which messages a kill caught in flight ───────────────────────────────────────────────────────────────

/**
 * The messages a provider had accepted and the dead process had not yet recorded, from what it sent in its
 * life and where it was armed. A job sends email then SMS, then commits; each acceptance is recorded in a send
 * receipt before the run's next send (runtime/delivery/receipts.ts), and a retried job does not send a message
 * it has a receipt for (so a retried job may send an SMS alone). Only a kill at `send.after-provider` catches a
 * message: the one whose provider had just answered, the last the process sent (one job at a time). Kills
 * before a provider call and after the commit catch nothing.
 */
export function caughtInFlight(point: FailpointName, email: Accepted[], sms: Accepted[]): Accepted[] {
  if (point !== 'send.after-provider') return [];
  const last = [...email, ...sms].sort((a, b) => a.at - b.at).at(-1);
  return last ? [last] : [];
}

// ── the supervisor ───────────────────────────────────────────────────────────────────────────────────────

/** One process's life: its slot, the fakes' marks at its spawn and death, how it ended. */
export interface Life {
  slot: number;
  from: Marks;
  to: Marks;
  /** True when it killed itself (SIGKILL at its failpoint); false when we stopped it, or it failed to start. */
  killed: boolean;
  /** What it printed when it exited with an error before it was ready (a defect: counted, and reported). */
  failedStart: string | null;
  /** From spawn to its URL (null when it died before), and to its death. */
  startSeconds: number | null;
  seconds: number;
}

export interface SupervisorOptions {
  bundlePath: string;
  databaseUrl: string;
  /** HERALD_FAILPOINTS of every supervised process, e.g. `send.after-provider=0.08`. */
  failpoints: string;
  slots: Fakes[];
  /** Where Node keeps compiled code between starts (NODE_COMPILE_CACHE): a start is mostly module loading. */
  compileCache: string;
  /** More environment for every supervised process. */
  env?: Record<string, string>;
}

export function runtimeEnv(fakes: Fakes, compileCache: string, extra: Record<string, string> = {}): Record<string, string> {
  return { HERALD_LOG_LEVEL: 'warn', NODE_COMPILE_CACHE: compileCache, ...providerEnv(fakes), ...extra };
}

/** How `herald start` ended before it printed its URL: by its failpoint (SIGKILL), by an error of its own, or neither. */
function endBeforeReady(error: unknown): 'killed' | 'failed' | null {
  const signalOrCode = error instanceof Error ? /^herald start exited \((\w+)\) before it was ready/.exec(error.message)?.[1] : undefined;
  if (signalOrCode === 'SIGKILL') return 'killed';
  return signalOrCode !== undefined && /^\d+$/.test(signalOrCode) ? 'failed' : null;
}

/** Failed starts are counted and the slot carries on (the case reports them and fails); past this many, it gives up. */
const MAX_FAILED_STARTS = 10;

export interface Supervisor {
  readonly lives: readonly Life[];
  kills(): number;
  /** The first failure of a slot (a process that exited other than by its failpoint), if any. */
  failure(): Error | null;
  /** What processes that failed to start printed. */
  failedStarts(): string[];
  /** The API of some process that is up now, or null between lives. */
  liveUrl(): string | null;
  /** Output of a live process, else of the last one that died: for failure messages. */
  outputTail(): string;
  /** SIGKILLs one live process, at random among those up for a second or more; false when none is. */
  killOne(): boolean;
  /** No more respawns; live processes are stopped with SIGTERM (they drain their job) and the slots end. */
  stop(): Promise<void>;
}

/**
 * Keeps one armed `herald start` process alive per slot: when it kills itself, the kill is counted and a new
 * one is spawned, until `stop()`. Any other exit fails the case, with the process's output.
 */
export function supervise(options: SupervisorOptions): Supervisor {
  const lives: Life[] = [];
  const live = new Map<number, Live>();
  let stopping = false;
  let failure: Error | null = null;
  let lastOutput = '';

  /** Spawns one armed process and waits for its end. */
  async function lifeOf(slot: number, onReady: () => void): Promise<Pick<Life, 'killed' | 'failedStart'>> {
    const env = runtimeEnv(options.slots[slot]!, options.compileCache, { HERALD_WORKERS: '1', HERALD_FAILPOINTS: options.failpoints, ...options.env });
    let runtime: RuntimeProcess;
    try {
      runtime = await spawnRuntime({ bundlePath: options.bundlePath, databaseUrl: options.databaseUrl, apiKey: FAULT_API_KEY, env, startTimeoutMs: 60_000 });
    } catch (error) {
      const end = endBeforeReady(error);
      // Workers start before the HTTP server: a process may meet its failpoint before it prints its URL.
      if (end === 'killed') return { killed: true, failedStart: null };
      if (end !== 'failed' || lives.filter((l) => l.failedStart).length >= MAX_FAILED_STARTS) throw error;
      return { killed: false, failedStart: (error as Error).message };
    }
    const entry = liveProcess(runtime);
    live.set(slot, entry);
    onReady();
    // stop() may have come while this one was starting: it stops what is live, so stop this one here.
    const exit = await (stopping ? entry.stop() : runtime.exited);
    live.delete(slot);
    lastOutput = outputTail(runtime);
    if (exit.signal === 'SIGKILL') return { killed: true, failedStart: null };
    if (stopping && exit.code === 0) return { killed: false, failedStart: null };
    throw new Error(`slot ${slot}: herald start exited with ${exit.signal ?? `code ${exit.code}`}, not by its failpoint:\n${lastOutput}`);
  }

  async function slotLoop(slot: number): Promise<void> {
    const fakes = options.slots[slot]!;
    while (!stopping && !failure) {
      const from = marks(fakes);
      const started = performance.now();
      let startSeconds: number | null = null;
      const end = await lifeOf(slot, () => (startSeconds = (performance.now() - started) / 1000));
      lives.push({ slot, from, to: marks(fakes), ...end, startSeconds, seconds: (performance.now() - started) / 1000 });
    }
  }

  const loops = options.slots.map((_, slot) =>
    slotLoop(slot).catch((error: unknown) => void (failure ??= error instanceof Error ? error : new Error(String(error)))),
  );

  return {
    lives,
    kills: () => lives.filter((l) => l.killed).length,
    failure: () => failure,
    failedStarts: () => lives.flatMap((l) => (l.failedStart ? [l.failedStart] : [])),
    liveUrl() {
      const urls = [...live.values()].map((p) => p.runtime.url);
      return urls.length ? urls[Math.floor(Math.random() * urls.length)]! : null;
    },
    killOne() {
      const settled = [...live.values()].filter((p) => Date.now() - p.readyAt >= SETTLED_AFTER_READY_MS);
      const victim = settled[Math.floor(Math.random() * settled.length)];
      victim?.runtime.kill('SIGKILL');
      return victim !== undefined;
    },
    outputTail() {
      const first = [...live.values()][0];
      return first ? outputTail(first.runtime) : lastOutput;
    },
    async stop() {
      stopping = true;
      await Promise.all([...[...live.values()].map((p) => p.stop()), ...loops]);
    },
  };
}

interface Live {
  runtime: RuntimeProcess;
  /** When it printed its URL (Date.now()). */
  readyAt: number;
  /** SIGTERM once (a second one, after herald's handler has run, would kill it), not too soon after its start. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * `herald start` prints its URL a moment before it installs its SIGTERM handler (runtime/cli.ts: banner, then
 * untilSignal), and a SIGTERM in between kills it outright — a hard kill at a random point, which this case
 * must not mistake for a failpoint's. So a process is stopped no sooner than a second after its URL.
 */
const SETTLED_AFTER_READY_MS = 1_000;

function liveProcess(runtime: RuntimeProcess): Live {
  const readyAt = Date.now();
  let stopped: ReturnType<Live['stop']> | null = null;
  return {
    runtime,
    readyAt,
    stop() {
      stopped ??= sleep(Math.max(0, readyAt + SETTLED_AFTER_READY_MS - Date.now())).then(() => runtime.stop());
      return stopped;
    },
  };
}

// ── the feeder ───────────────────────────────────────────────────────────────────────────────────────────

interface Reply202 {
  runs: string[];
}

function isReply202(value: unknown): value is Reply202 {
  const runs = record(value).runs;
  return Array.isArray(runs) && runs.every((r) => typeof r === 'string');
}

/**
 * One API call through whichever process is up, again until it is answered 2xx: a process may die with the
 * request in flight (the call is idempotent, by its Idempotency-Key or by nature), or none may be up yet.
 */
export async function untilAnswered(
  supervisor: Supervisor,
  method: string,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
  timeoutMs = 90_000,
): Promise<unknown> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no process was up';
  while (Date.now() < deadline) {
    const failure = supervisor.failure();
    if (failure) throw failure;
    const url = supervisor.liveUrl();
    const reply = url
      ? await send(`${url}${path}`, {
          method,
          body: JSON.stringify(body),
          timeoutMs: 10_000,
          headers: { authorization: `Bearer ${FAULT_API_KEY}`, 'content-type': 'application/json', ...headers },
        }).catch((error: unknown) => void (last = String(error)))
      : undefined;
    if (reply && reply.status >= 200 && reply.status < 300) return reply.json;
    // 4xx is our mistake and will not get better; 5xx (a dying process, a 503, a deadlock) may.
    if (reply && reply.status < 500) throw new Error(`${method} ${path} answered ${reply.status}: ${reply.text}`);
    if (reply) last = `${reply.status} ${reply.text}`;
    await sleep(100);
  }
  throw new Error(`${method} ${path} was never accepted within ${timeoutMs} ms (last: ${last})\n${supervisor.outputTail()}`);
}

/** Triggers run `n` (one run, however often the call is retried) and returns its run id. */
export async function trigger(supervisor: Supervisor, caseName: string, n: number, users: number): Promise<string> {
  const body = { event: 'kill_ping', userId: `kill-user-${n % users}`, properties: { n } };
  const reply = await untilAnswered(supervisor, 'POST', '/v1/events', body, { 'idempotency-key': `${caseName}-${n}` });
  if (!isReply202(reply) || reply.runs.length !== 1) throw new Error(`trigger ${n}: expected one run, got ${JSON.stringify(reply)}`);
  return reply.runs[0]!;
}

// ── the tally ────────────────────────────────────────────────────────────────────────────────────────────

const key = (runId: string, channel: Channel) => `${runId}/${channel}`;

/** A figure per channel. */
export function perChannel<T>(value: (channel: Channel) => T): Record<Channel, T> {
  return { email: value('email'), sms: value('sms') };
}

export interface ChannelFigure {
  /** Messages that should have reached the provider: one per accepted trigger. */
  expected: number;
  /** Distinct runs the provider received this channel's message for. */
  received: number;
  /** Everything the provider accepted on this channel, duplicates included. */
  sends: number;
  lost: number;
  duplicates: number;
  /** Messages a kill caught accepted and unrecorded (inside their window b): the duplicates the docs allow. */
  caughtInFlight: number;
}

export interface Tally {
  channels: Record<Channel, ChannelFigure>;
  /** Kills by what they caught: nothing in flight, or messages accepted and not yet recorded. */
  kills: { total: number; outsideWindowB: number; insideWindowB: number };
  /** (run, channel)s whose duplicates are not exactly the kills that caught them in flight. */
  unexplained: string[];
  /** Accepted sends for runs no trigger was answered with. */
  strangers: string[];
  refused: number;
  /** Per (run, channel): provider ids of every accepted send, and of those a kill caught in flight. */
  providerIds: Map<string, { all: Set<string>; caught: Set<string> }>;
}

/**
 * Counts what the fakes accepted against the accepted runs, and each (run, channel)'s duplicates against the
 * kills that caught it in flight: a duplicate is explained only by such a kill, and each such kill must have
 * caused exactly one (its retry found nothing recorded and sent again).
 */
export function tally(point: FailpointName, runIds: readonly string[], slots: readonly Fakes[], lives: readonly Life[]): Tally {
  const providerIds = new Map<string, { all: Set<string>; caught: Set<string> }>();
  const entry = (k: string) => providerIds.get(k) ?? providerIds.set(k, { all: new Set(), caught: new Set() }).get(k)!;
  const sends = new Map<string, number>();
  let refused = 0;
  for (const fakes of slots) {
    const all = acceptedBetween(fakes, { sendgrid: 0, twilio: 0 }, marks(fakes));
    refused += all.refused;
    for (const a of [...all.email, ...all.sms]) {
      sends.set(key(a.runId, a.channel), (sends.get(key(a.runId, a.channel)) ?? 0) + 1);
      entry(key(a.runId, a.channel)).all.add(a.providerMessageId);
    }
  }
  const caught = new Map<string, number>();
  let insideWindowB = 0;
  for (const life of lives.filter((l) => l.killed)) {
    const during = acceptedBetween(slots[life.slot]!, life.from, life.to);
    const inFlight = caughtInFlight(point, during.email, during.sms);
    if (inFlight.length) insideWindowB++;
    for (const m of inFlight) {
      caught.set(key(m.runId, m.channel), (caught.get(key(m.runId, m.channel)) ?? 0) + 1);
      entry(key(m.runId, m.channel)).caught.add(m.providerMessageId);
    }
  }
  const channels = {} as Record<Channel, ChannelFigure>;
  const unexplained: string[] = [];
  for (const channel of CHANNELS) {
    const figure: ChannelFigure = { expected: runIds.length, received: 0, sends: 0, lost: 0, duplicates: 0, caughtInFlight: 0 };
    for (const runId of runIds) {
      const n = sends.get(key(runId, channel)) ?? 0;
      const inFlight = caught.get(key(runId, channel)) ?? 0;
      figure.sends += n;
      figure.received += n > 0 ? 1 : 0;
      figure.lost += n > 0 ? 0 : 1;
      figure.duplicates += Math.max(0, n - 1);
      figure.caughtInFlight += inFlight;
      if (n > 0 && n - 1 !== inFlight) unexplained.push(`${key(runId, channel)}: sent ${n} times, caught in flight by ${inFlight} kill(s)`);
    }
    channels[channel] = figure;
  }
  const known = new Set(runIds);
  const strangers = [...sends.keys()].filter((k) => !known.has(k.split('/')[0]!));
  const total = lives.filter((l) => l.killed).length;
  return { channels, kills: { total, outsideWindowB: total - insideWindowB, insideWindowB }, unexplained, strangers, refused, providerIds };
}
