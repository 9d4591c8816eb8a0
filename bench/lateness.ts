/**
 * Delay lateness under load: one `herald start` process takes a steady 200 one-send triggers/s (autocannon,
 * rate-load.ts) while N runs of `delay('1s')` and N of `delay('60s')`, then a send, are started over ten
 * seconds. Lateness = the message's created_at − (the run's created_at + the delay): how long after it was due
 * the send happened. Baseline, at the same time on the same server: raw pg-boss jobs deferred by the same
 * delays (`send` with `startAfter`, Herald's fetch settings), late by when their handler ran. Herald's
 * lateness is also split in two: trigger → the engine starting the delay (its start's wait), and due →
 * message (the timer's own wait).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { workOptions } from '../runtime/execution/queue.ts';
import { api, fireLoad, startCluster, until, untilCount } from './cluster.ts';
import type { Destinations } from './fakes.ts';
import { fireRate } from './latency.ts';
import { DEFAULT_WORKERS, startRawBoss } from './raw-pgboss.ts';
import { createDatabase, dropDatabase } from './setup.ts';
import { summary } from './stats.ts';
import { benchBundle } from './trees.ts';

const USERS = 100;
const BACKGROUND_RATE = 200;
/**
 * Seconds over which the delayed runs are started: slowly enough that they add a fifth or less to the
 * background's rate (a burst of them would be a load of its own, and the 1 s timers would come due in it).
 */
const SPREAD = 10;
const DELAYS = [1, 60] as const;

/** Raw pg-boss deferred jobs: each records how late its handler ran. */
async function rawDeferred(url: string) {
  const boss = await startRawBoss(url);
  const late: Record<number, number[]> = { 1: [], 60: [] };
  await boss.work('bench', workOptions(DEFAULT_WORKERS), async (jobs: { id: string; data: { due: number; delay: number } }[]) =>
    jobs.map((job) => {
      late[job.data.delay]!.push(Date.now() - job.data.due);
      return { id: job.id, status: 'completed' as const };
    }),
  );
  return {
    late,
    send: (delay: number) => boss.send('bench', { due: Date.now() + delay * 1000, delay }, { startAfter: delay }),
    stop: () => boss.stop({ graceful: false, timeout: 2000 }),
  };
}

export async function benchLateness(admin: string, destinations: Destinations, options: { quick: boolean }) {
  const perDelay = options.quick ? 100 : 200;
  const rawName = 'herald_bench_lateness_raw';
  const raw = await rawDeferred(await createDatabase(admin, rawName));
  const cluster = await startCluster({
    admin,
    name: 'herald_bench_lateness',
    bundle: await benchBundle(),
    processes: 1,
    env: destinations.benchEnv,
    users: USERS,
  });
  const url = cluster.urls[0]!;
  try {
    await fireLoad({ url, count: 200, concurrency: 16, users: USERS, event: 'bench_ping' });
    const background = fireRate({ url, rate: BACKGROUND_RATE, seconds: 1 + SPREAD + Math.max(...DELAYS) + 3, event: 'bench_ping', users: USERS });
    await sleep(1_000);
    // Paced, not sequential: one trigger every SPREAD / count seconds, whatever each one's latency.
    const starts = DELAYS.flatMap((delay) => Array.from({ length: perDelay }, (_, i) => ({ delay, i })));
    const gap = (SPREAD * 1000) / starts.length;
    const t0 = performance.now();
    await Promise.all(
      starts.map(async ({ delay, i }, k) => {
        await sleep(Math.max(0, t0 + k * gap - performance.now()));
        await Promise.all([api(url, 'POST', '/v1/events', { event: `bench_delay_${delay}s`, userId: `u${i % USERS}`, properties: { n: i } }), raw.send(delay)]);
      }),
    );
    for (const delay of DELAYS) {
      const sent = `SELECT count(*)::int AS n FROM herald.messages WHERE step_id = 'later' AND workflow = 'delay-${delay}s'`;
      await untilCount(cluster.db, sent, perDelay, (delay + SPREAD + 60) * 1000);
      await until(() => raw.late[delay]!.length, perDelay, 60_000, `raw pg-boss jobs deferred ${delay} s`);
    }
    const load = await background;
    // Lateness, and its two parts: from the trigger until the engine started the delay (the run's history
    // entry for the wait: its `at`, and `until` = at + delay), and from `until` to the message.
    const { rows } = await cluster.db.query<{ workflow: string; late: number; started: number; after_due: number }>(
      `SELECT m.workflow,
              extract(epoch FROM (m.created_at - r.created_at)) * 1000 - CASE m.workflow WHEN 'delay-1s' THEN 1000 ELSE 60000 END AS late,
              (h->>'at')::float8 - extract(epoch FROM r.created_at) * 1000 AS started,
              extract(epoch FROM m.created_at) * 1000 - (h->'detail'->>'until')::float8 AS after_due
       FROM herald.messages m JOIN herald.runs r ON r.id = m.run_id
       CROSS JOIN LATERAL (SELECT h FROM jsonb_array_elements(r.state->'history') h WHERE h->>'stepId' = 'wait' AND h->>'outcome' = 'waiting' LIMIT 1) w
       WHERE m.step_id = 'later'`,
    );
    // The background's own trigger → message time over the same window: when it grows too, the process is
    // behind on all its work (a backlog), not late on timers in particular.
    const { rows: queued } = await cluster.db.query<{ ms: number }>(
      `SELECT extract(epoch FROM (m.created_at - r.created_at)) * 1000 AS ms
       FROM herald.messages m JOIN herald.runs r ON r.id = m.run_id WHERE m.workflow = 'one-send' AND r.created_at >= (SELECT min(created_at) FROM herald.runs WHERE workflow LIKE 'delay-%')`,
    );
    const figures = (delay: number) => {
      const mine = rows.filter((r) => r.workflow === `delay-${delay}s`);
      const herald = summary(mine.map((r) => Number(r.late)));
      const baseline = summary(raw.late[delay]!);
      return {
        herald,
        baselineRawPgBoss: baseline,
        p99Ratio: +(herald.p99 / Math.max(1, baseline.p99)).toFixed(2),
        parts: { triggerToDelayStartMs: summary(mine.map((r) => Number(r.started))), dueToMessageMs: summary(mine.map((r) => Number(r.after_due))) },
      };
    };
    const d1 = figures(1);
    const d60 = figures(60);
    const worst = Math.max(d1.herald.p99, d60.herald.p99);
    return {
      runsPerDelay: perDelay,
      startedOverSeconds: SPREAD,
      delay1sMs: d1,
      delay60sMs: d60,
      backgroundLoad: {
        event: 'bench_ping (one-send)',
        offeredPerSecond: BACKGROUND_RATE,
        achievedPerSecond: load.achievedPerSecond,
        latencyMs: load.latencyMs,
        non2xx: load.non2xx,
        triggerToMessageMs: summary(queued.map((r) => Number(r.ms))),
      },
      target: { p99UnderMs: 1000, value: worst, met: worst < 1000 },
    };
  } finally {
    await cluster.stop();
    destinations.reset();
    await raw.stop();
    await dropDatabase(admin, rawName);
  }
}

// `npx tsx bench/lateness.ts [--quick]` runs it alone.
if (import.meta.url === `file://${process.argv[1]}`) await (await import('./standalone.ts')).runStandalone(benchLateness);
