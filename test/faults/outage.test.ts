/**
 * Fault case: "Postgres stopped for 10 s mid-run and restarted: the API answers 503 meanwhile, nothing
 * accepted is lost, every run completes after recovery, the process never exits."
 *
 * A PostgreSQL of this file's own (stopping it troubles no other test), stopped with a fast shutdown
 * (connections cut, the socket file removed) and started again on the same data folder and port, so that
 * the runtimes reconnect to the very URLs they were given. Two runtime processes live through the same
 * outage, one per way a runtime reaches Postgres: the Unix socket that startEmbeddedPostgres's URL names
 * (`npm start`'s case), and TCP (a DATABASE_URL to a server). Each has its own database and fake SendGrid,
 * and a steady stream of triggers from the test, each run sending one email.
 *
 * The figure is reported before the assertions, so that a failing run still says what happened.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Bundle } from '../../compiler/bundle/schema.ts';
import { startFakeSendgrid, type FakeProvider } from '../fakes/providers.ts';
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
  withProviderUrls,
  type TriggerOutcome,
} from './delivery-support.ts';

const OUTAGE_MS = 10_000;
/** Per runtime, 10 triggers a second: steady work for the workers, and enough requests to see the outage's answers. */
const INTERVAL_MS = 100;
const BEFORE_MS = 5_000;
const AFTER_MS = 5_000;
const COMPLETION_TIMEOUT_MS = 90_000;

const embeddedModule = fileURLToPath(new URL('../../runtime/db/embedded.ts', import.meta.url));

// ---------------------------------------------------------------------------------------------------------
// PostgreSQL in a process of its own

interface Postgres {
  url: string;
  /** Stops the server (SIGINT to postgres: a fast shutdown) and waits until it is gone. */
  stop(): Promise<void>;
}

/**
 * startEmbeddedPostgres, run by a child process of its own: a second call in one process throws (embedded.ts
 * unhooks async-exit-hook's listeners unconditionally, and they are gone the second time), and a restart is
 * the point here.
 */
function startPostgres(dataDir: string, port: number): Promise<Postgres> {
  const code = `
    let db = null;
    process.once('SIGTERM', async () => { await db?.stop(); process.exit(0); });
    const { startEmbeddedPostgres } = await import(${JSON.stringify(embeddedModule)});
    db = await startEmbeddedPostgres(process.argv[1], { port: Number(process.argv[2]) });
    process.stdout.write('URL ' + db.url + '\\n');
  `;
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), '--input-type=module', '-e', code, dataDir, String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.stdout.on('data', (c: Buffer) => {
      output += c.toString();
      const url = /URL (\S+)/.exec(output)?.[1];
      if (url) resolve({ url, stop: () => (child.kill('SIGTERM'), exited) });
    });
    void exited.then(() => reject(new Error(`PostgreSQL's holder exited before it was ready:\n${output}`)));
  });
}

async function createDatabase(adminUrl: string, name: string): Promise<string> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  await client.query(`CREATE DATABASE ${name}`);
  await client.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

// ---------------------------------------------------------------------------------------------------------
// A lane: one runtime process, its database and its provider

interface Lane {
  name: 'unix-socket' | 'tcp';
  databaseUrl: string;
  fake: FakeProvider;
  runtime: RuntimeProcess;
  /** How the process ended, if it did. */
  exited: string | null;
}

async function startLane(name: Lane['name'], adminUrl: string, bundle: Bundle, dir: string): Promise<Lane> {
  const socketUrl = await createDatabase(adminUrl, `herald_outage_${name.replace('-', '_')}`);
  const tcp = new URL(socketUrl);
  tcp.searchParams.delete('host');
  const databaseUrl = name === 'tcp' ? tcp.toString() : socketUrl;
  const fake = await startFakeSendgrid({ apiKey: PRIMARY_KEY });
  const bundlePath = writeBundleFile(withProviderUrls(bundle, { primary: fake.url }), join(dir, name));
  const runtime = await spawnRuntime({ bundlePath, databaseUrl, apiKey: API_KEY, env: providerEnv, startTimeoutMs: 60_000 });
  const lane: Lane = { name, databaseUrl, fake, runtime, exited: null };
  void runtime.exited.then(({ code, signal }) => (lane.exited = `exited with ${signal ?? code}`));
  return lane;
}

async function readyz(lane: Lane): Promise<number> {
  try {
    return (await fetch(`${lane.runtime.url}/readyz`, { signal: AbortSignal.timeout(10_000) })).status;
  } catch {
    return 0;
  }
}

/** Waits until every accepted run has completed and reached the provider; returns when, or null at the deadline. */
async function completion(lane: Lane, runIds: string[], deadline: number): Promise<number | null> {
  while (Date.now() < deadline) {
    try {
      const statuses = await runStatuses(lane.databaseUrl);
      const byRun = acceptedByRun(lane.fake);
      if (runIds.every((id) => statuses.get(id) === 'completed' && byRun.has(id))) return Date.now();
    } catch {
      // the database is still coming back
    }
    await sleep(250);
  }
  return null;
}

interface Timeline {
  down: number;
  stopped: number;
  restarting: number;
}

const describeOutcome = (o: TriggerOutcome) => `#${o.n} ${o.status || o.transport}${o.errorCode ? ` ${o.errorCode}` : ''} in ${round(o.ms)} ms`;

/** The lane's figure and everything the case requires of it, as a list of problems (empty: it held). */
async function assess(lane: Lane, outcomes: TriggerOutcome[], readyDuring: number[], t: Timeline) {
  // Sent once the server was gone, answered before it was started again: the outage's answers.
  const during = outcomes.filter((o) => o.at >= t.stopped && o.at + o.ms < t.restarting);
  const accepted = outcomes.filter((o) => o.status === 202);
  const runIds = accepted.flatMap((o) => o.runs);
  const firstAfter = accepted.filter((o) => o.at >= t.restarting).sort((a, b) => a.at + a.ms - (b.at + b.ms))[0];
  const allDone = await completion(lane, runIds, Date.now() + COMPLETION_TIMEOUT_MS);
  const statuses = await runStatuses(lane.databaseUrl);
  const delivery = account(runIds, acceptedByRun(lane.fake));
  const notCompleted = runIds.filter((id) => statuses.get(id) !== 'completed');
  const acceptedIds = new Set(runIds);
  const unexpected = outcomes.filter((o) => o.status !== 202 && !(o.status === 503 && o.errorCode === 'unavailable'));
  const refusedMaxMs = during.length ? Math.max(...during.map((o) => o.ms)) : NaN;
  const readyAfter = await readyz(lane);

  const figure = {
    accepted: accepted.length,
    acceptedBeforeOutage: accepted.filter((o) => o.at < t.down).length,
    acceptedAfterRestart: accepted.filter((o) => o.at >= t.restarting).length,
    refusedDuringOutage: during.filter((o) => o.status === 503).length,
    otherAnswers: Object.fromEntries(
      [...new Set(unexpected.map((o) => String(o.status || o.transport)))].map((k) => [
        k,
        unexpected.filter((o) => String(o.status || o.transport) === k).length,
      ]),
    ),
    max503LatencyMs: round(refusedMaxMs),
    readyzDuringOutage: [...new Set(readyDuring)],
    recoveryToFirst202Seconds: firstAfter ? round((firstAfter.at + firstAfter.ms - t.restarting) / 1000, 2) : null,
    recoveryToAllCompletedSeconds: allDone ? round((allDone - t.restarting) / 1000, 1) : null,
    lost: delivery.lost.length,
    notCompleted: notCompleted.length,
    duplicates: delivery.duplicates.length,
    // Runs recorded for requests that were told 503 ("nothing was accepted"): a client retrying them duplicates.
    refusedYetRecorded: [...statuses.keys()].filter((id) => !acceptedIds.has(id)).length,
    processAlive: lane.exited === null,
    readyzAfter: readyAfter,
  };
  const problems: string[] = [];
  if (unexpected.length)
    problems.push(`${unexpected.length} answers other than 202 or 503 unavailable, e.g. ${unexpected.slice(0, 5).map(describeOutcome).join('; ')}`);
  if (during.length < OUTAGE_MS / INTERVAL_MS / 2) problems.push(`only ${during.length} triggers answered during the outage`);
  const acceptedDuring = during.filter((o) => o.status === 202);
  if (acceptedDuring.length) problems.push(`accepted while Postgres was down: ${acceptedDuring.slice(0, 5).map(describeOutcome).join('; ')}`);
  if (!(refusedMaxMs < 5_000)) problems.push(`the slowest refusal took ${round(refusedMaxMs)} ms (a refusal must be fast, not a hang)`);
  if (!readyDuring.every((s) => s === 503)) problems.push(`/readyz during the outage answered ${readyDuring.join(', ')}`);
  if (!firstAfter) problems.push('no trigger was accepted after the restart');
  if (delivery.lost.length) problems.push(`${delivery.lost.length} accepted runs never reached the provider, e.g. ${delivery.lost.slice(0, 3).join(', ')}`);
  if (notCompleted.length)
    problems.push(
      `${notCompleted.length} accepted runs not completed, e.g. ${notCompleted
        .slice(0, 3)
        .map((id) => `${id} ${statuses.get(id) ?? 'missing'}`)
        .join(', ')}`,
    );
  if (lane.exited) problems.push(`the runtime process ${lane.exited}`);
  if (readyAfter !== 200) problems.push(`/readyz after the restart answered ${readyAfter}`);
  return { figure, problems };
}

// ---------------------------------------------------------------------------------------------------------

let dataDir: string;
let postgres: Postgres | null = null;
let port: number;
const lanes: Lane[] = [];

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'herald-fault-outage-'));
  postgres = await startPostgres(dataDir, 54461);
  port = Number(new URL(postgres.url).port);
  const bundle = await sendBundle();
  for (const name of ['unix-socket', 'tcp'] as const) lanes.push(await startLane(name, postgres.url, bundle, dataDir));
});

afterAll(async () => {
  await Promise.all(lanes.map(async (l) => (await l.runtime.stop(), await l.fake.close())));
  await postgres?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

it('answers 503 while Postgres is down, loses nothing accepted, and completes every run after the restart', async () => {
  const loads = lanes.map((lane) => steadyLoad(() => lane.runtime.url, INTERVAL_MS));
  await sleep(BEFORE_MS);

  const down = Date.now();
  await postgres!.stop();
  postgres = null;
  const stopped = Date.now();
  // /readyz through the outage: it must say "not ready" rather than hang or lie.
  const readyDuring: number[][] = lanes.map(() => []);
  while (Date.now() - stopped < OUTAGE_MS) {
    (await Promise.all(lanes.map(readyz))).forEach((status, i) => readyDuring[i]!.push(status));
    await sleep(Math.max(0, Math.min(1_000, stopped + OUTAGE_MS - Date.now())));
  }
  const restarting = Date.now();
  postgres = await startPostgres(dataDir, port);
  const up = Date.now();
  await sleep(AFTER_MS);
  const outcomes = await Promise.all(loads.map((l) => l.stop()));

  const timeline: Timeline = { down, stopped, restarting };
  const results = await Promise.all(lanes.map((lane, i) => assess(lane, outcomes[i]!, readyDuring[i]!, timeline)));
  reportFigure('outage', {
    outageSeconds: round((restarting - down) / 1000, 1),
    postgresRestartSeconds: round((up - restarting) / 1000, 2),
    triggersPerSecondPerRuntime: 1000 / INTERVAL_MS,
    ...Object.fromEntries(lanes.map((lane, i) => [lane.name, results[i]!.figure])),
  });
  for (const [i, lane] of lanes.entries()) {
    expect.soft(results[i]!.problems, `${lane.name}: what failed\n${tail(lane.runtime)}`).toEqual([]);
  }
});
