/**
 * Memory with runs waiting in delays: a `herald start` process's resident set (VmRSS), idle and under a short
 * one-send load, on a database with no waiting runs and then — a fresh process, same configuration, same
 * database — with 1,000,000 of them (100,000 with --quick), made in SQL from a real one (waiting-runs.ts). A
 * waiting run is rows in Postgres, never state in memory, so the resident set should not move; the ratio
 * RSS(N waiting) / RSS(none) says whether it does. Also: what a waiting run costs on disk, and whether the
 * short load slows down with the backlog of deferred jobs in the queue's table.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { api, fireLoad, rssMb, startCluster, until, type Cluster } from './cluster.ts';
import type { Destinations } from './fakes.ts';
import { benchBundle } from './trees.ts';
import { countWaiting, insertWaitingRuns, sizes, type Sizes } from './waiting-runs.ts';

const USERS = 100;
const TEMPLATE_USER = 'bench-template-user';

/** Idle: the largest of a few samples once start-up has settled. */
async function idleRss(pid: number): Promise<number | null> {
  await sleep(5_000);
  const samples: number[] = [];
  for (let i = 0; i < 10; i++, await sleep(200)) samples.push(rssMb(pid) ?? NaN);
  const max = Math.max(...samples);
  return Number.isNaN(max) ? null : max;
}

/** A short one-send load, RSS sampled every 200 ms until its last message arrived. */
async function underLoad(cluster: Cluster, destinations: Destinations, triggers: number) {
  const pid = cluster.runtimes[0]!.pid;
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, rssMb(pid) ?? 0)), 200);
  const before = destinations.accepted();
  const t0 = performance.now();
  try {
    await fireLoad({ url: cluster.urls[0]!, count: triggers, concurrency: 32, users: USERS, event: 'bench_ping' });
    const done = await until(destinations.accepted, before + triggers, 300_000, 'messages');
    return { peakRssMb: peak || null, afterRssMb: rssMb(pid), triggers, messagesPerSecond: Math.round(triggers / ((done - t0) / 1000)) };
  } finally {
    clearInterval(sampler);
  }
}

async function measure(cluster: Cluster, destinations: Destinations, triggers: number) {
  const idle = await idleRss(cluster.runtimes[0]!.pid);
  return { idleRssMb: idle, ...(await underLoad(cluster, destinations, triggers)) };
}

/** One real waiting run (a day's delay), written by the runtime: the template of the copies. */
async function templateRun(cluster: Cluster): Promise<string> {
  const url = cluster.urls[0]!;
  await api(url, 'PUT', `/v1/users/${TEMPLATE_USER}`, { email: 'template@example.com' });
  const body = (await api(url, 'POST', '/v1/events', { event: 'bench_delay_day', userId: TEMPLATE_USER, properties: { n: 0 } })) as { runs: string[] };
  const runId = body.runs[0]!;
  for (let i = 0; i < 200 && (await countWaiting(cluster.db)).deferredJobs < 1; i++) await sleep(50);
  return runId;
}

const perRun = (after: Sizes, before: Sizes, n: number) => ({
  databaseBytes: Math.round((after.databaseBytes - before.databaseBytes) / n),
  runsTableBytes: Math.round((after.runsBytes - before.runsBytes) / n),
  jobsTableBytes: Math.round((after.jobsBytes - before.jobsBytes) / n),
});

const ratio = (a: number | null, b: number | null) => (a && b ? +(a / b).toFixed(2) : null);

export async function benchMemory(admin: string, destinations: Destinations, options: { quick: boolean }) {
  const waiting = options.quick ? 100_000 : 1_000_000;
  const triggers = options.quick ? 2_000 : 5_000;
  const cluster = await startCluster({
    admin,
    name: 'herald_bench_memory',
    bundle: await benchBundle(),
    processes: 1,
    env: destinations.benchEnv,
    users: USERS,
  });
  try {
    const runId = await templateRun(cluster);
    // A fresh process for each measurement, so both start from the same point (the first one served setup).
    await cluster.restart();
    process.stderr.write('  no waiting runs…\n');
    const none = await measure(cluster, destinations, triggers);
    await Promise.all(cluster.runtimes.map((r) => r.stop()));
    const before = await sizes(cluster.db);
    process.stderr.write(`  inserting ${waiting} waiting runs…\n`);
    const insertSeconds = await insertWaitingRuns(cluster.db, { runId, userId: TEMPLATE_USER }, waiting);
    const after = await sizes(cluster.db);
    await cluster.restart();
    process.stderr.write(`  ${waiting} waiting runs…\n`);
    const many = await measure(cluster, destinations, triggers);
    const still = await countWaiting(cluster.db);
    return {
      waitingRuns: waiting,
      // Runs and deferred jobs still waiting at the end (the template's included): none fired early, none lost.
      stillWaiting: still,
      insertSeconds: +insertSeconds.toFixed(1),
      baselineNoWaitingRuns: none,
      withWaitingRuns: many,
      ratioIdle: ratio(many.idleRssMb, none.idleRssMb),
      ratioPeakUnderLoad: ratio(many.peakRssMb, none.peakRssMb),
      /** Messages/s of the same short load with the backlog over without it: what the deferred jobs cost the fetch. */
      throughputRatio: +(many.messagesPerSecond / none.messagesPerSecond).toFixed(2),
      perWaitingRun: perRun(after, before, waiting),
      database: { before, after },
      target: {
        rssIndependentOfWaitingRuns: 'ratio ≤ 1.1',
        met: (ratio(many.peakRssMb, none.peakRssMb) ?? Infinity) <= 1.1 && (ratio(many.idleRssMb, none.idleRssMb) ?? Infinity) <= 1.1,
      },
    };
  } finally {
    await cluster.stop();
    destinations.reset();
  }
}

// `npx tsx bench/memory.ts [--quick]` runs it alone.
if (import.meta.url === `file://${process.argv[1]}`) await (await import('./standalone.ts')).runStandalone(benchMemory);
