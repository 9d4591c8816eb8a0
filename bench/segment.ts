import { PgBoss } from 'pg-boss';
import type { Bundle } from '../compiler/bundle/schema.ts';
import { benchPostgres, buildBenchBundle, createDatabase, stopBenchPostgres, waitForCount } from './setup.ts';
import { inProcessRuntime } from './cluster.ts';
import { pool, summary } from './stats.ts';

const BATCH = 100;
const CONCURRENCY = 8;
const USERS = 100;
const WORKERS = 8;
const WRITE_KEY = 'bench-write-key';

const TREE = `import { event, provider, template, workflow, z } from 'herald';
export const email = provider('bench-email', { channel: 'email', kind: 'sandbox', from: 'bench@example.com' });
export const quiet = event('bench_quiet', { schema: z.object({ n: z.number() }) });
export const ping = event('bench_ping', { schema: z.object({ n: z.number() }) });
export const hello = template('bench-hello', { data: ping, email: { subject: 'Ping {{n}}', text: 'Hello {{user.email}}, ping {{n}}' } });
export const oneSend = workflow('one-send', { trigger: ping, steps: (s) => [s.send('hello', { template: hello, channel: 'email' })] });
`;

/** Raw pg-boss: `count` jobs inserted `BATCH` per call, `CONCURRENCY` calls in flight. */
async function rawInsert(url: string, count: number) {
  const boss = new PgBoss({ connectionString: url, schema: 'pgboss', max: 10 });
  boss.on('error', () => {});
  await boss.start();
  await boss.createQueue('bench');
  // Warm-up, untimed, as the Herald passes have theirs (the identify batch): connections and plans ready.
  await pool(
    CONCURRENCY,
    CONCURRENCY,
    async () =>
      void (await boss.insert(
        'bench',
        Array.from({ length: BATCH }, () => ({ data: { n: -1 } })),
      )),
  );
  const t0 = performance.now();
  await pool(Math.ceil(count / BATCH), CONCURRENCY, async (b) => {
    await boss.insert(
      'bench',
      Array.from({ length: BATCH }, (_, i) => ({ data: { n: b * BATCH + i } })),
    );
  });
  const seconds = (performance.now() - t0) / 1000;
  await boss.stop({ graceful: false, timeout: 2000 });
  return { jobs: count, jobsPerSecond: Math.round(count / seconds) };
}

const auth = { authorization: `Basic ${Buffer.from(`${WRITE_KEY}:`).toString('base64')}`, 'content-type': 'application/json' };

async function postBatch(url: string, batch: unknown[]): Promise<number> {
  const response = await fetch(`${url}/v1/batch`, { method: 'POST', headers: auth, body: JSON.stringify({ batch, sentAt: new Date().toISOString() }) });
  const body = (await response.json()) as { herald?: { accepted: number; rejected: unknown[] } };
  if (response.status !== 200 || body.herald?.rejected.length) throw new Error(`batch answered ${response.status}: ${JSON.stringify(body).slice(0, 300)}`);
  return body.herald!.accepted;
}

/** One pass on a fresh database: profiles by identify, then `count` track calls of `event` in batches. */
async function segmentPass(admin: string, name: string, bundle: Bundle, event: string, count: number) {
  const { runtime, db } = await inProcessRuntime(admin, name, { bundle, env: { SEGMENT_WRITE_KEY: WRITE_KEY }, workers: WORKERS });
  try {
    await postBatch(
      runtime.url,
      Array.from({ length: USERS }, (_, u) => ({ type: 'identify', userId: `u${u}`, traits: { email: `u${u}@example.com` } })),
    );
    const latencies: number[] = [];
    const now = new Date().toISOString();
    const t0 = performance.now();
    await pool(Math.ceil(count / BATCH), CONCURRENCY, async (b) => {
      const calls = Array.from({ length: BATCH }, (_, i) => {
        const n = b * BATCH + i;
        return { type: 'track', event, userId: `u${n % USERS}`, properties: { n }, messageId: `${name}-${n}`, timestamp: now };
      });
      const start = performance.now();
      await postBatch(runtime.url, calls);
      latencies.push(performance.now() - start);
    });
    const seconds = (performance.now() - t0) / 1000;
    await waitForCount(db, `SELECT count(*)::int AS n FROM herald.events WHERE event = '${event}'`, count, 10_000);
    let messagesPerSecondEndToEnd: number | undefined;
    if (Object.values(bundle.workflows).some((w) => w.trigger.type === 'event' && w.trigger.event === event)) {
      await waitForCount(db, "SELECT count(*)::int AS n FROM herald.messages WHERE step_id = 'hello' AND status = 'sent'", count, 300_000);
      messagesPerSecondEndToEnd = Math.round(count / ((performance.now() - t0) / 1000));
    }
    return {
      events: count,
      eventsPerSecond: Math.round(count / seconds),
      batchLatencyMs: summary(latencies),
      ...(messagesPerSecondEndToEnd ? { messagesPerSecondEndToEnd } : {}),
    };
  } finally {
    await db.end();
    await runtime.stop();
  }
}

export async function benchSegment(options: { quick: boolean }) {
  const count = options.quick ? 5_000 : 20_000;
  const postgres = await benchPostgres(54610);
  try {
    const baseline = await rawInsert(await createDatabase(postgres.admin, 'herald_bench_segment_raw'), count);
    const bundle = await buildBenchBundle('segment', TREE);
    const noWorkflow = await segmentPass(postgres.admin, 'herald_bench_segment_quiet', bundle, 'bench_quiet', count);
    const oneSend = await segmentPass(postgres.admin, 'herald_bench_segment_ping', bundle, 'bench_ping', count);
    return {
      baselineRawPgBossInsert: baseline,
      noWorkflow: { ...noWorkflow, ratioToRawInsert: +(noWorkflow.eventsPerSecond / baseline.jobsPerSecond).toFixed(3) },
      oneSendWorkflow: { ...oneSend, ratioToRawInsert: +(oneSend.eventsPerSecond / baseline.jobsPerSecond).toFixed(3) },
      batchSize: BATCH,
      concurrentBatches: CONCURRENCY,
      workersPerProcess: WORKERS,
    };
  } finally {
    await postgres.stop();
  }
}

// `npx tsx bench/segment.ts [--quick]` runs this benchmark alone.
if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await benchSegment({ quick: process.argv.includes('--quick') });
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  await stopBenchPostgres();
}
