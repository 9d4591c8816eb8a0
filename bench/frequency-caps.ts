/**
 * What a frequency cap costs (runtime/README.md, "Frequency caps"): one-send throughput of a `herald start`
 * process with the bench tree as it is, and the same with a cap on its channel (email, high enough never to
 * hold a message back, so every send is counted and sent), in the same run on the same server. The capped
 * sends a batch reaches together are counted by one statement (a range of the per-user index for each user)
 * that takes their users' locks until the batch commits; a batch meeting a user another batch holds waits for
 * it. Passes alternate capped and uncapped so that a slow moment of a shared machine lands in one pass of one
 * side; the figures are medians. Each user's history grows through the run (up to `triggers / USERS` messages
 * in the window), so the last sends count the most. After the last capped pass, the count's plan is read back.
 */
import type { FrequencyLimit } from '../compiler/bundle/schema.ts';
import * as sql from '../runtime/db/sql.ts';
import { withLimits } from '../test/setup/limits.ts';
import { type Cluster, startCluster } from './cluster.ts';
import type { Destinations } from './fakes.ts';
import { oneSendPass, type OneSendPass } from './one-send-pass.ts';
import { medianBy } from './stats.ts';
import { benchBundle } from './trees.ts';

/** Users the triggers cycle over (HERALD_BENCH_CAP_USERS): few users means batches often share one, and wait for each other. */
const USERS = Number(process.env.HERALD_BENCH_CAP_USERS ?? 100);
const WARM_UP = 200;
/** Counted on every send, reached by none. */
const CAP: FrequencyLimit = { channel: 'email', max: 1_000_000, perMs: 86_400_000 };

export type CapPass = OneSendPass;

export interface CapOverhead {
  uncapped: CapPass;
  capped: CapPass;
  /** Capped messages/s over uncapped (1 = the cap costs nothing). */
  ratio: number;
  cap: string;
  users: number;
  triggers: number;
  /** Messages of one user in the window when the last count ran. */
  historyPerUser: number;
  /** The count's plan (EXPLAIN ANALYZE) for one user after the last capped pass: its scan nodes and time. */
  countPlan: { scans: string[]; executionMs: number };
  /** Deadlocks PostgreSQL broke in the capped passes (each costs a second and a batch retried job by job). */
  deadlocks: number;
  passes: { uncapped: number[]; capped: number[] };
}

/** One pass: a process on a fresh database, a warm-up, then `triggers` timed to their last message. */
async function pass(
  admin: string,
  destinations: Destinations,
  capped: boolean,
  triggers: number,
  inspect?: (cluster: Cluster) => Promise<void>,
): Promise<CapPass> {
  const bundle = capped ? withLimits(await benchBundle(), [CAP]) : await benchBundle();
  const cluster = await startCluster({
    admin,
    name: `herald_bench_caps_${capped ? 'on' : 'off'}`,
    bundle,
    processes: 1,
    env: destinations.benchEnv,
    users: USERS,
  });
  try {
    const figures = await oneSendPass(admin, cluster, destinations, { users: USERS, warmUp: WARM_UP, triggers });
    await inspect?.(cluster);
    return figures;
  } finally {
    await cluster.stop();
    destinations.reset();
  }
}

/** The statement a capped send runs, explained on the pass's database for user u0 (its messages logged by then). */
async function explainCount(cluster: Cluster): Promise<{ plan: CapOverhead['countPlan']; history: number; deadlocks: number }> {
  await cluster.db.query('ANALYZE herald.messages');
  const statement = sql.countUserSends([{ userId: 'u0', channel: CAP.channel!, category: null, since: new Date(Date.now() - CAP.perMs) }]);
  const { rows } = await cluster.db.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, FORMAT TEXT) ${statement.text}`, statement.values);
  const lines = rows.map((r) => r['QUERY PLAN']);
  const counted = await cluster.db.query<{ count: number }>(statement.text, statement.values);
  // Two batches that each hold a user the other waits for: PostgreSQL ends one after deadlock_timeout (runtime/README.md).
  const stats = await cluster.db.query<{ deadlocks: string }>('SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()');
  return {
    plan: {
      scans: lines.filter((l) => /Scan/.test(l)).map((l) => l.trim().replace(/\s+\(.*$/, '')),
      executionMs: Number(/Execution Time: ([\d.]+)/.exec(lines.join('\n'))?.[1] ?? NaN),
    },
    history: counted.rows[0]?.count ?? 0,
    deadlocks: Number(stats.rows[0]?.deadlocks ?? 0),
  };
}

export async function capOverhead(admin: string, destinations: Destinations, options: { quick: boolean }): Promise<CapOverhead> {
  const triggers = options.quick ? 1_000 : 5_000;
  const rounds = options.quick ? 1 : 3;
  const uncapped: CapPass[] = [];
  const capped: CapPass[] = [];
  let explained: Awaited<ReturnType<typeof explainCount>> | null = null;
  let deadlocks = 0;
  for (let i = 0; i < rounds; i++) {
    process.stderr.write(`  one-send, 1 process, no cap, pass ${i + 1}…\n`);
    uncapped.push(await pass(admin, destinations, false, triggers));
    process.stderr.write(`  one-send, 1 process, email capped, pass ${i + 1}…\n`);
    capped.push(
      await pass(admin, destinations, true, triggers, async (cluster) => {
        explained = await explainCount(cluster);
        deadlocks += explained.deadlocks;
      }),
    );
  }
  const figure = (p: CapPass) => p.messagesPerSecond;
  const median = { uncapped: medianBy(uncapped, figure), capped: medianBy(capped, figure) };
  const plan = explained as Awaited<ReturnType<typeof explainCount>> | null;
  return {
    ...median,
    ratio: +(median.capped.messagesPerSecond / median.uncapped.messagesPerSecond).toFixed(2),
    cap: `email ${CAP.max}/1d`,
    users: USERS,
    triggers,
    historyPerUser: plan?.history ?? 0,
    countPlan: plan?.plan ?? { scans: [], executionMs: NaN },
    deadlocks,
    passes: { uncapped: uncapped.map(figure), capped: capped.map(figure) },
  };
}

// `npx tsx bench/frequency-caps.ts [--quick]` runs it alone.
if (import.meta.url === `file://${process.argv[1]}`) await (await import('./standalone.ts')).runStandalone(capOverhead);
