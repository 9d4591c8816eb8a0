/**
 * Fault case: "SIGTERM under load: in-flight jobs finish or are returned, none left stuck."
 *
 * - finish: a runtime process works runs whose sends take a while (the fake SendGrid answers after 500 ms)
 *   when it is sent SIGTERM, and triggers keep arriving (clients know nothing of the signal). It must drain
 *   and exit 0 within its drain timeout (pg-boss's graceful stop, 15 s in runtime/server.ts), leaving no job
 *   of the run queue `active` in pgboss.job (a job left active waits for the supervisor or its expiry).
 * - returned: sends that outlast the drain timeout (a 503 after 9 s, then a 202 after 9 s: 18 s of work), in
 *   both ways a process holds work. Queued jobs (HERALD_LOCAL_STARTS=off): pg-boss fails the jobs still running
 *   at the deadline ("returned": state `retry`), so none is left active. Local starts (the default) have no job
 *   to hand back: a turn in flight ends when its provider call does (bounded by the adapter's timeout), and
 *   commits, or rolls back and leaves its run start_pending for another process's sweep.
 *
 * Each time a second process on the same database completes everything: every accepted run completed, its
 * email accepted by the provider once. The figure is reported in afterAll, whatever happened.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startFakeSendgrid, type FakeProvider } from '../fakes/providers.ts';
import { freshDatabase } from '../setup/database.ts';
import { spawnRuntime, writeBundleFile, type RuntimeProcess } from '../setup/runtime-process.ts';
import { reportFigure } from './report.ts';
import {
  account,
  acceptedByRun,
  API_KEY,
  PRIMARY_KEY,
  providerEnv,
  round,
  runStatuses,
  sendBundle,
  steadyLoad,
  tail,
  trigger,
  waitFor,
  withProviderUrls,
} from './delivery-support.ts';

/** pg-boss's graceful stop waits this long for handlers (runtime/server.ts), then fails what is left. */
const DRAIN_TIMEOUT_MS = 15_000;
/** SendGrid's request timeout in the adapter: a send in flight at the deadline may take this long to end. */
const PROVIDER_TIMEOUT_MS = 10_000;
const RUN_QUEUE = 'herald-run';

let dir: string;
const processes: RuntimeProcess[] = [];
const clients: pg.Client[] = [];
const fakes: FakeProvider[] = [];
const figure: Record<string, unknown> = {};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'herald-fault-sigterm-'));
});

afterAll(async () => {
  reportFigure('sigterm', figure);
  await Promise.all(clients.map((c) => c.end().catch(() => {})));
  await Promise.all(processes.map((p) => p.stop()));
  await Promise.all(fakes.map((f) => f.close()));
  rmSync(dir, { recursive: true, force: true });
});

interface Setup {
  databaseUrl: string;
  fake: FakeProvider;
  db: pg.Client;
  start(env?: Record<string, string>): Promise<RuntimeProcess>;
}

/** A database, a fake SendGrid, and a way to start runtime processes on them. */
async function setup(name: string): Promise<Setup> {
  const databaseUrl = await freshDatabase(`fault_sigterm_${name}`);
  const fake = await startFakeSendgrid({ apiKey: PRIMARY_KEY });
  fakes.push(fake);
  const bundlePath = writeBundleFile(withProviderUrls(await sendBundle(), { primary: fake.url }), join(dir, name));
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  clients.push(db);
  const start = async (env: Record<string, string> = {}) => {
    const runtime = await spawnRuntime({ bundlePath, databaseUrl, apiKey: API_KEY, env: { ...providerEnv, ...env }, startTimeoutMs: 60_000 });
    processes.push(runtime);
    return runtime;
  };
  return { databaseUrl, fake, db, start };
}

/** pg-boss's jobs of the run queue by state. */
async function jobStates(db: pg.Client): Promise<Record<string, number>> {
  const { rows } = await db.query<{ state: string; n: number }>('SELECT state::text, count(*)::int AS n FROM pgboss.job WHERE name = $1 GROUP BY state', [
    RUN_QUEUE,
  ]);
  return Object.fromEntries(rows.map((r) => [r.state, r.n]));
}

/** SIGTERM, and how the process ended and when (null: still running at `withinMs`). */
async function terminate(runtime: RuntimeProcess, withinMs: number) {
  const signalled = Date.now();
  runtime.kill('SIGTERM');
  const exit = await Promise.race([runtime.exited, sleep(withinMs).then(() => null)]);
  return { exit, ms: Date.now() - signalled };
}

/** Waits for a second process to complete every run, and counts what reached the provider. */
async function completeWithSecondProcess(s: Setup, runIds: string[], context: () => string) {
  const started = Date.now();
  const second = await s.start();
  await waitFor(
    'every run to complete and every accepted one to reach the provider',
    async () => {
      const statuses = await runStatuses(s.databaseUrl);
      const byRun = acceptedByRun(s.fake);
      return statuses.size > 0 && [...statuses.values()].every((st) => st === 'completed') && runIds.every((id) => byRun.has(id));
    },
    90_000,
    () => `${context()}\n${tail(second)}`,
  );
  const statuses = await runStatuses(s.databaseUrl);
  return { seconds: round((Date.now() - started) / 1000, 1), statuses, delivery: account(runIds, acceptedByRun(s.fake)), second };
}

it('drains on SIGTERM while triggers keep coming: exits 0 within the drain timeout, leaves no job active, loses and repeats nothing', async () => {
  const s = await setup('drain');
  s.fake.setDefault({ status: 202, delayMs: 500 });
  const first = await s.start();
  // Clients know nothing of the SIGTERM: triggers keep coming, 40 a second over keep-alive connections (as
  // from a load balancer), until the process has exited.
  const load = steadyLoad(() => first.url, 25);
  await waitFor(
    'the provider to see the first sends',
    async () => s.fake.requests.length >= 60,
    30_000,
    () => tail(first),
  );

  const activeAtSigterm = (await jobStates(s.db)).active ?? 0;
  const sendsInFlight = s.fake.requests.filter((r) => !r.answer).length;
  const signalled = Date.now();
  const { exit, ms } = await terminate(first, DRAIN_TIMEOUT_MS + 5_000);
  const outcomes = await load.stop();
  // Still running with the triggers stopped: how long until it goes by itself (then a second process takes over).
  const triggersStopped = Date.now();
  const late = exit ? null : await Promise.race([first.exited.then(() => Date.now() - triggersStopped), sleep(20_000).then(() => null)]);
  const afterExit = await jobStates(s.db);
  const deliveredByFirst = acceptedByRun(s.fake).size;
  const runIds = outcomes.filter((o) => o.status === 202).flatMap((o) => o.runs);
  const acceptedAfterSigterm = outcomes.filter((o) => o.status === 202 && o.at >= signalled).length;

  s.fake.setDefault(undefined);
  const done = await completeWithSecondProcess(s, runIds, () => `job states after the exit: ${JSON.stringify(afterExit)}`);
  figure.drain = {
    sendDelayMs: 500,
    triggersPerSecond: 40,
    accepted: runIds.length,
    acceptedAfterSigterm,
    // Requests cut by the shutdown (refused or reset): never acknowledged, so not counted as lost.
    triggersNotAnswered: outcomes.filter((o) => o.status === 0).length,
    inFlightAtSigterm: { activeJobs: activeAtSigterm, sendsAtProvider: sendsInFlight },
    exitCode: exit?.code ?? 'still running',
    exitSeconds: exit ? round(ms / 1000, 2) : `none within ${round(ms / 1000)} s`,
    ...(exit ? {} : { exitSecondsAfterTriggersStopped: late === null ? 'none within 20 s' : round(late / 1000, 1) }),
    jobsAfterExit: afterExit,
    stuckJobs: afterExit.active ?? 0,
    deliveredByFirstProcess: deliveredByFirst,
    secondProcessCompletedAllSeconds: done.seconds,
    lost: done.delivery.lost.length,
    duplicates: done.delivery.duplicates.length,
  };

  expect(activeAtSigterm + sendsInFlight, 'nothing was in flight at SIGTERM: the case tested nothing').toBeGreaterThan(0);
  expect(exit, `exit on SIGTERM while triggers kept coming (${acceptedAfterSigterm} accepted after the signal)\n${tail(first)}`).toEqual({
    code: 0,
    signal: null,
  });
  expect(ms, `exit took ${ms} ms, past the drain timeout\n${tail(first)}`).toBeLessThan(DRAIN_TIMEOUT_MS);
  expect(afterExit.active ?? 0, `jobs of ${RUN_QUEUE} left active by the stopped process\n${tail(first)}`).toBe(0);
  expect(
    outcomes.filter((o) => o.status !== 202 && o.status !== 0).map((o) => `#${o.n} ${o.status} ${o.errorCode}`),
    'answers other than 202 or a closed connection',
  ).toEqual([]);
  expect(done.delivery.lost, 'accepted runs whose email never reached the provider').toEqual([]);
  expect(done.delivery.duplicates, 'runs whose email the provider accepted twice (a graceful stop must not send twice)').toEqual([]);
});

/** Runs in flight at SIGTERM, by how the process holds them: queued jobs (state `active`), or local starts. */
async function inFlight(db: pg.Client): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `SELECT
    (SELECT count(*)::int FROM pgboss.job WHERE name = $1 AND state::text = 'active') + (SELECT count(*)::int FROM herald.runs WHERE start_pending) AS n`,
    [RUN_QUEUE],
  );
  return rows[0]!.n;
}

async function pendingStarts(db: pg.Client): Promise<number> {
  const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM herald.runs WHERE start_pending');
  return rows[0]!.n;
}

// The work a process holds at its drain deadline is either queued jobs (pg-boss fails them: state `retry`) or,
// by default, the runs it started itself (local starts, which end with their provider calls).
it.each<{ mode: string; env: Record<string, string> }>([
  { mode: 'jobs', env: { HERALD_LOCAL_STARTS: 'off' } },
  { mode: 'local starts', env: {} },
])('returns work that outlasts the drain timeout ($mode): none left active, and a second process completes it', async ({ mode, env }) => {
  const s = await setup(mode === 'jobs' ? 'returned' : 'returned_local');
  const runs = 4;
  // Each send: a 503 after 9 s, a retry, a 202 after 9 s — 18 s of work against a 15 s drain.
  s.fake.respondWith(...Array.from({ length: runs }, () => ({ status: 503, delayMs: 9_000 })));
  s.fake.setDefault({ status: 202, delayMs: 9_000 });
  const first = await s.start(env);
  const outcomes = await Promise.all(Array.from({ length: runs }, (_, n) => trigger(first.url, n)));
  const runIds = outcomes.flatMap((o) => o.runs);
  expect(runIds, `triggers: ${outcomes.map((o) => o.status).join(', ')}`).toHaveLength(runs);
  // SIGTERM as soon as sends are in flight. Not necessarily all four: a process works two batches at a time,
  // and jobs that arrive after both are taken wait for one to finish (see the figure's `waitingAtSigterm`).
  await waitFor(
    'sends in flight at the provider',
    async () => s.fake.requests.length >= 1 && (await inFlight(s.db)) >= 1,
    30_000,
    () => tail(first),
  );
  await sleep(500);

  const atSigterm = await jobStates(s.db);
  const pendingAtSigterm = await pendingStarts(s.db);
  const { exit, ms } = await terminate(first, DRAIN_TIMEOUT_MS + 2 * PROVIDER_TIMEOUT_MS + 10_000);
  const afterExit = await jobStates(s.db);
  const pendingAfterExit = await pendingStarts(s.db);
  const statusesAtExit = await runStatuses(s.databaseUrl);
  const acceptedBeforeExit = acceptedByRun(s.fake).size;

  s.fake.setDefault(undefined);
  const done = await completeWithSecondProcess(s, runIds, () => `job states after the exit: ${JSON.stringify(afterExit)}`);
  figure[mode === 'jobs' ? 'returned' : 'returnedLocalStarts'] = {
    sendSeconds: 18,
    inFlightAtSigterm: atSigterm.active ?? 0,
    localStartsAtSigterm: pendingAtSigterm,
    localStartsLeftPending: pendingAfterExit,
    waitingAtSigterm: atSigterm.created ?? 0,
    returnedJobs: afterExit.retry ?? 0,
    exitCode: exit?.code ?? 'still running',
    exitSeconds: round(ms / 1000, 2),
    jobsAfterExit: afterExit,
    stuckJobs: afterExit.active ?? 0,
    runsCompletedByFirstProcess: [...statusesAtExit.values()].filter((st) => st === 'completed').length,
    sendsAcceptedBeforeExit: acceptedBeforeExit,
    secondProcessCompletedAllSeconds: done.seconds,
    lost: done.delivery.lost.length,
    duplicates: done.delivery.duplicates.length,
  };

  // Jobs still running at the deadline are handed back to pg-boss (state retry). A local start has no job to
  // hand back: its turn holds the run's row until its provider call ends (the adapter's timeout bounds it),
  // then it commits, or rolls back and leaves the run start_pending for a sweep.
  if (mode === 'jobs')
    expect(afterExit.retry ?? 0, `jobs returned at the drain deadline (state retry): the case tested nothing\n${tail(first)}`).toBeGreaterThan(0);
  else expect(pendingAtSigterm, `local starts in flight at SIGTERM: the case tested nothing\n${tail(first)}`).toBeGreaterThan(0);
  expect(exit, `exit on SIGTERM\n${tail(first)}`).toEqual({ code: 0, signal: null });
  // pg-boss returns the jobs at the deadline, but the process still waits for their handlers to end (the
  // pool's close waits for their connections): here the sends in flight, answered 18 s after they began.
  expect(ms, `exit took ${ms} ms\n${tail(first)}`).toBeLessThan(DRAIN_TIMEOUT_MS + PROVIDER_TIMEOUT_MS);
  expect(afterExit.active ?? 0, `jobs of ${RUN_QUEUE} left active by the stopped process\n${tail(first)}`).toBe(0);
  expect(done.delivery.lost, 'accepted runs whose email never reached the provider').toEqual([]);
  expect(done.delivery.duplicates, 'runs whose email the provider accepted twice').toEqual([]);
});
