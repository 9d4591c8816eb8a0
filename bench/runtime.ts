/**
 * Runtime benchmarks on one Postgres, each Herald figure next to its baseline from the same run:
 * - end to end: triggers accepted/s through the HTTP API and messages/s reaching the sandbox provider, for a
 *   one-send workflow, against raw pg-boss `send` + `work` of the same number of jobs;
 * - trigger latency p50/p99 (HTTP request → 202) under that load;
 * - lateness p50/p99 of 5 s delays (when the send happened minus when it was due).
 */
import { API_KEY, inProcessRuntime } from './cluster.ts';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Bundle } from '../compiler/bundle/schema.ts';
import { buildProject } from '../compiler/build.ts';
import { startRawBoss, workSelectOne } from './raw-pgboss.ts';
import { startFakeSendgrid } from '../test/fakes/providers.ts';
import { benchPostgres, createDatabase, waitForCount } from './setup.ts';
import { pool, summary } from './stats.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const WORKERS = 8;

async function rawPgBoss(url: string, count: number) {
  const boss = await startRawBoss(url);
  const t0 = performance.now();
  await pool(count, 32, async (i) => {
    await boss.send('bench', { i });
  });
  const sendSeconds = (performance.now() - t0) / 1000;
  let done = 0;
  const t1 = performance.now();
  await new Promise<void>((resolve) => {
    void workSelectOne(boss, WORKERS, () => {
      if (++done === count) resolve();
    });
  });
  const workSeconds = (performance.now() - t1) / 1000;
  await boss.stop({ graceful: false, timeout: 2000 });
  return {
    jobs: count,
    sendPerSecond: Math.round(count / sendSeconds),
    workPerSecond: Math.round(count / workSeconds),
    endToEndPerSecond: Math.round(count / (sendSeconds + workSeconds)),
  };
}

function writeBenchTree(dir: string) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'bench.ts'),
    `import { env, event, provider, template, workflow, z } from 'herald';
// SendGrid when BENCH_SENDGRID_KEY is set (its SDK to a local fake), else the sandbox stands in.
export const email = provider('bench-email', { channel: 'email', kind: 'sendgrid', credentials: { apiKey: env('BENCH_SENDGRID_KEY') }, from: 'bench@example.com' });
export const ping = event('bench_ping', { schema: z.object({ n: z.number() }) });
export const pong = event('bench_delayed', { schema: z.object({ n: z.number() }) });
export const hello = template('bench-hello', { data: ping, email: { subject: 'Ping {{n}}', text: 'Hello {{user.email}}, ping {{n}}' } });
export const later = template('bench-later', { data: pong, email: { subject: 'Later {{n}}', text: 'Delayed {{n}}' } });
export const oneSend = workflow('one-send', { trigger: ping, steps: (s) => [s.send('hello', { template: hello, channel: 'email' })] });
export const delayed = workflow('delayed-send', { trigger: pong, steps: (s) => [s.delay('wait', '5s'), s.send('later', { template: later, channel: 'email' })] });
`,
  );
}

/** Runs the load generator (bench/load.ts) in a worker thread and waits for its figures. */
function fireLoad(load: {
  url: string;
  apiKey: string;
  count: number;
  concurrency: number;
  users: number;
  event: string;
}): Promise<{ latencies: number[]; seconds: number }> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./load.ts', import.meta.url), { workerData: load, execArgv: ['--import', import.meta.resolve('tsx')] });
    worker.once('message', resolve);
    worker.once('error', reject);
  });
}

/** One end-to-end pass: a runtime on a fresh database, `count` one-send triggers through the HTTP API. */
async function endToEnd(admin: string, name: string, bundle: Bundle, env: NodeJS.ProcessEnv, count: number) {
  const { runtime, db } = await inProcessRuntime(admin, name, { bundle, env, workers: WORKERS });
  for (let u = 0; u < USERS; u++) {
    await fetch(`${runtime.url}/v1/users/u${u}`, {
      method: 'PUT',
      headers: { authorization: 'Bearer bench', 'content-type': 'application/json' },
      body: JSON.stringify({ email: `u${u}@example.com` }),
    });
  }
  const t0 = performance.now();
  const { latencies, seconds: acceptSeconds } = await fireLoad({
    url: runtime.url,
    apiKey: API_KEY,
    count,
    concurrency: 32,
    users: USERS,
    event: 'bench_ping',
  });
  await waitForCount(db, "SELECT count(*)::int AS n FROM herald.messages WHERE status = 'sent' AND step_id = 'hello'", count, 300_000);
  const endToEndSeconds = (performance.now() - t0) / 1000;
  return { runtime, db, latencies, acceptedPerSecond: Math.round(count / acceptSeconds), messagesPerSecond: Math.round(count / endToEndSeconds) };
}

const USERS = 100;

export async function benchRuntime(options: { quick: boolean }) {
  const count = options.quick ? 1_000 : 5_000;
  const delayed = options.quick ? 100 : 300;
  const postgres = await benchPostgres(54500);
  const admin = postgres.admin;
  try {
    const baseline = await rawPgBoss(await createDatabase(admin, 'herald_bench_raw'), count);

    const tree = join(root, 'bench', '.generated', 'runtime');
    writeBenchTree(tree);
    const built = await buildProject(tree, { cwd: root });
    if (!built.bundle) throw new Error(`bench tree does not compile: ${built.diagnostics[0]?.message}`);
    const { runtime, db, latencies, acceptedPerSecond, messagesPerSecond } = await endToEnd(admin, 'herald_bench_runtime', built.bundle, {}, count);
    const users = USERS;

    // Delay lateness: triggers spread over ~2 s, each due 5 s after its run was created.
    await pool(delayed, 8, async (i) => {
      await fetch(`${runtime.url}/v1/events`, {
        method: 'POST',
        headers: { authorization: 'Bearer bench', 'content-type': 'application/json' },
        body: JSON.stringify({ event: 'bench_delayed', userId: `u${i % users}`, properties: { n: i } }),
      }).then((r) => r.arrayBuffer());
    });
    await waitForCount(db, "SELECT count(*)::int AS n FROM herald.messages WHERE step_id = 'later'", delayed, 120_000);
    const { rows } = await db.query<{ late: number }>(
      `SELECT extract(epoch FROM (m.created_at - r.created_at)) * 1000 - 5000 AS late
       FROM herald.messages m JOIN herald.runs r ON r.id = m.run_id WHERE m.step_id = 'later'`,
    );
    await db.end();
    await runtime.stop();

    // The same load with the email going out through @sendgrid/mail to a local fake of SendGrid.
    const fake = await startFakeSendgrid({ apiKey: 'SG.bench' });
    const sdk = await endToEnd(admin, 'herald_bench_sendgrid', built.bundle, { BENCH_SENDGRID_KEY: 'SG.bench', SENDGRID_API_URL: fake.url }, count);
    await sdk.db.end();
    await sdk.runtime.stop();
    await fake.close();

    return {
      baselineRawPgBoss: baseline,
      herald: {
        triggers: count,
        triggersAcceptedPerSecond: acceptedPerSecond,
        messagesPerSecondEndToEnd: messagesPerSecond,
        triggerLatencyMs: summary(latencies),
        delayLateness5sMs: summary(rows.map((r) => Number(r.late))),
      },
      ratioToRawPgBoss: +(messagesPerSecond / baseline.endToEndPerSecond).toFixed(2),
      // The SendGrid SDK's cost end to end: the same load, email through @sendgrid/mail to a local fake.
      throughSendgridSdk: { messagesPerSecondEndToEnd: sdk.messagesPerSecond, ratioToSandbox: +(sdk.messagesPerSecond / messagesPerSecond).toFixed(2) },
      workersPerProcess: WORKERS,
      targets: { messagesPerSecond: 500, ratio: 0.3, delayLatenessP99Ms: 2000 },
    };
  } finally {
    await postgres.stop();
  }
}
