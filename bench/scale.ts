/**
 * Scale: Herald on a database holding a large message log, each figure against its baseline from the same run.
 *
 * 1. One-send throughput and trigger latency, on an empty database and on one holding N messages (20,000,000
 *    by default; 1,000,000 with --quick; `--scale-messages=N` or HERALD_BENCH_SCALE_MESSAGES to choose) spread
 *    over the 30 daily partitions before today, with 200,000 users (scale-history.ts). One `herald start`
 *    process on each, taken in turn (the other's stopped), passes alternating: a steady 200 triggers/s for
 *    10 s (trigger p50/p99 timed from when each was due, latency.ts's fireRate; then how long the last
 *    messages took to arrive), then the closed-loop load of the end-to-end benchmark (throughput.ts's
 *    timedPass: 64 in flight, messages/s at the fake provider, with the runtime's and PostgreSQL's CPU and
 *    the WAL per message). throughputRatio = with history / empty (closed-loop messages/s; target ≥ 0.9).
 *    Each side's median pass; the side that goes first alternates from pass to pass.
 * 2. Reads at N messages (scale-reads.ts): the dashboard's message list (first page, filtered pages) and one
 *    user's timeline through the API, p50/p99 (target p99 < 50 ms), against the same on the empty database.
 * 3. Disk: bytes per message of the message partitions, indexes and TOAST included, for the synthetic history
 *    and for what the runtime itself wrote during the passes.
 * 4. Retention (scale-retention.ts): a day dropped as a partition against DELETE from an unpartitioned copy.
 * 5. The transaction pooler's cost (pooler.ts).
 * 6. Random kill -9 at 200 triggers/s with and without send receipts (scale-kills.ts: the fault suite's case,
 *    about five minutes): only with --kills, or when the run names this section (`--only scale`); --no-kills
 *    leaves it out.
 *
 * The history needs about 2 KB of disk a message (checked before it is made, for the embedded server).
 */
import { statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { type Cluster, startCluster, until } from './cluster.ts';
import type { Destinations } from './fakes.ts';
import { fireRate } from './latency.ts';
import { poolerOverhead } from './pooler.ts';
import type { RateFigures } from './rate-load.ts';
import { randomKills } from './scale-kills.ts';
import { DAY_MS, insertHistory } from './scale-history.ts';
import { measureReads, type Reads } from './scale-reads.ts';
import { measureRetention } from './scale-retention.ts';
import { checkpoint } from './setup.ts';
import { medianBy } from './stats.ts';
import { type Scenario, timedPass } from './throughput.ts';
import { benchBundle } from './trees.ts';

/** Users the load triggers for (u0 … u99, made through the API), as in the other end-to-end benchmarks. */
const USERS = 100;
const HISTORY_USERS = 200_000;
const HISTORY_DAYS = 30;
const RATE = 200;
const WARM_UP_SECONDS = 5;
/** Disk a history message takes, rows and indexes (measured: ~1.85 KB), with room for WAL and the retention copy. */
const BYTES_PER_MESSAGE_NEEDED = 2_300;

export interface ScaleOptions {
  quick: boolean;
  /** Messages of history (default 20,000,000; 1,000,000 with quick). */
  messages?: number;
  /** Run the random-kill case (about five minutes). */
  kills?: boolean;
}

/** The section's options from the command line and environment (run.ts and the standalone run share them). */
export function scaleOptionsFrom(argv: readonly string[], env: NodeJS.ProcessEnv, quick: boolean, named: boolean): ScaleOptions {
  const flag = argv.find((a, i) => a.startsWith('--scale-messages=') || argv[i - 1] === '--scale-messages');
  const raw = flag?.replace('--scale-messages=', '') ?? env.HERALD_BENCH_SCALE_MESSAGES;
  const messages = raw === undefined ? undefined : Number(raw.replaceAll('_', ''));
  if (messages !== undefined && !(Number.isInteger(messages) && messages >= HISTORY_DAYS)) {
    throw new Error(`--scale-messages / HERALD_BENCH_SCALE_MESSAGES: a whole number of at least ${HISTORY_DAYS}, not "${raw}"`);
  }
  const kills = !argv.includes('--no-kills') && (argv.includes('--kills') || named);
  return { quick, kills, ...(messages === undefined ? {} : { messages }) };
}

/** Fails early when the embedded server's disk cannot hold the history (a server at DATABASE_URL is not checked). */
function checkDisk(messages: number): { freeBytes: number; neededBytes: number } | null {
  if (process.env.DATABASE_URL) return null;
  const stats = statfsSync(tmpdir());
  const freeBytes = stats.bavail * stats.bsize;
  const neededBytes = messages * BYTES_PER_MESSAGE_NEEDED;
  if (freeBytes < neededBytes) {
    throw new Error(
      `scale: ${messages} messages of history need about ${(neededBytes / 1e9).toFixed(0)} GB under ${tmpdir()}, and ${(freeBytes / 1e9).toFixed(0)} GB are free: choose fewer with --scale-messages=N`,
    );
  }
  return { freeBytes, neededBytes };
}

/** Stops a cluster's processes, keeping its database (Cluster.restart() starts fresh ones). */
const stopProcesses = (cluster: Cluster) => Promise.all(cluster.runtimes.map((r) => r.stop()));

interface LoadPass {
  at200: RateFigures & { messagesPerSecond: number; lastMessageAfterLoadMs: number };
  closedLoop: Awaited<ReturnType<typeof timedPass>>;
}

/** On a cluster just (re)started: 200 triggers/s for `seconds`, then the closed-loop load. */
async function loadPass(admin: string, cluster: Cluster, destinations: Destinations, scenario: Scenario, options: { seconds: number; triggers: number }) {
  const load = { url: cluster.urls[0]!, event: scenario.event, users: USERS };
  // Warm-up, untimed: JIT, connections, prepared statements, the SDK's agent (as latency.ts).
  const warmFrom = destinations.accepted();
  const warm = await fireRate({ ...load, rate: RATE, seconds: WARM_UP_SECONDS });
  await until(destinations.accepted, warmFrom + warm.ok, 120_000, 'warm-up messages');
  await checkpoint(admin);
  const before = destinations.accepted();
  const rate = await fireRate({ ...load, rate: RATE, seconds: options.seconds });
  const loadEnded = performance.now();
  const done = await until(destinations.accepted, before + rate.ok, 300_000, `messages at ${RATE}/s`);
  const lastMessageAfterLoadMs = Math.max(0, Math.round(done - loadEnded));
  const at200 = {
    ...rate,
    /** Messages at the fake a second: the load's seconds and the time its last messages took after it. */
    messagesPerSecond: Math.round(rate.ok / (options.seconds + lastMessageAfterLoadMs / 1000)),
    lastMessageAfterLoadMs,
  };
  const closedLoop = await timedPass(admin, cluster, destinations, scenario, options.triggers);
  return { at200, closedLoop } satisfies LoadPass;
}

/** Bytes per message of herald.messages's day partitions (`names`, or all), heap, indexes and TOAST, over their rows. */
async function diskPerMessage(cluster: Cluster, names: string[] | null) {
  const { rows } = await cluster.db.query<{ partitions: number; rows: string; total: string; heap: string; indexes: string }>(
    `SELECT count(*)::int AS partitions, sum(c.reltuples)::bigint AS rows, sum(pg_total_relation_size(c.oid)) AS total,
            sum(pg_relation_size(c.oid)) AS heap, sum(pg_indexes_size(c.oid)) AS indexes
     FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = 'herald.messages'::regclass AND c.relname LIKE 'messages\\_p%' AND c.reltuples > 0
       AND ($1::text[] IS NULL OR c.relname = ANY($1::text[]))`,
    [names],
  );
  const r = rows[0]!;
  const n = Number(r.rows);
  if (!n) return null;
  const per = (bytes: string) => Math.round(Number(bytes) / n);
  return {
    partitions: r.partitions,
    rows: n,
    bytesPerMessage: per(r.total),
    heapBytesPerMessage: per(r.heap),
    indexBytesPerMessage: per(r.indexes),
    toastAndMapsBytesPerMessage: per(String(Number(r.total) - Number(r.heap) - Number(r.indexes))),
    gbPerMillionMessages: +(((Number(r.total) / n) * 1e6) / 1e9).toFixed(2),
  };
}

const ratio = (a: number, b: number) => +(a / Math.max(1e-9, b)).toFixed(2);

/**
 * What else a trigger leaves on disk, per trigger, on a database the runtime wrote to: its run, its event,
 * its send receipts and pg-boss's jobs (indexes included; partitioned tables summed over their partitions).
 * Completed runs stay until the retention, jobs a day (pg-boss's deleteAfterSeconds), receipts until their turn.
 */
async function bytesPerTrigger(cluster: Cluster) {
  // A partitioned table is its partitions (pg_partition_tree lists none for a plain table).
  const size = (table: string) =>
    `coalesce((SELECT sum(pg_total_relation_size(relid)) FROM pg_partition_tree('${table}') WHERE isleaf), pg_total_relation_size('${table}'))`;
  const { rows } = await cluster.db.query<{ triggers: number; runs: string; events: string; receipts: string; jobs: string }>(
    `SELECT (SELECT count(*)::int FROM herald.runs) AS triggers, ${size('herald.runs')} AS runs, ${size('herald.events')} AS events,
            ${size('herald.send_receipts')} AS receipts, ${size('pgboss.job')} AS jobs`,
  );
  const r = rows[0]!;
  const per = (bytes: string) => Math.round(Number(bytes) / Math.max(1, r.triggers));
  return { triggers: r.triggers, runBytes: per(r.runs), eventBytes: per(r.events), receiptBytes: per(r.receipts), jobBytes: per(r.jobs) };
}

/**
 * One part of the section: its figures under `name`, or, when it fails, the error in their place — a part that
 * fails forty minutes into the run does not take the parts before it (and after it) along.
 */
async function part(result: Record<string, unknown>, name: string, run: () => Promise<unknown>): Promise<void> {
  try {
    result[name] = await run();
  } catch (error) {
    const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
    process.stderr.write(`  ${name} failed: ${text.split('\n')[0]}\n`);
    result[name] = { error: text.slice(0, 2_000) };
  }
}

export async function benchScale(admin: string, destinations: Destinations, options: ScaleOptions) {
  const messages = options.messages ?? (options.quick ? 1_000_000 : 20_000_000);
  const disk = checkDisk(messages);
  const passCount = options.quick ? 1 : 3;
  const seconds = options.quick ? 5 : 10;
  const triggers = options.quick ? 1_000 : 5_000;
  const samples = options.quick ? 50 : 200;
  const bundle = await benchBundle();
  const scenario: Scenario = { bundle, env: destinations.benchEnv, event: 'bench_ping', messagesPerRun: 1, arrived: 'fakes' };
  const clusters: Cluster[] = [];
  const result: Record<string, unknown> = { messages, days: HISTORY_DAYS, users: HISTORY_USERS, ...(disk ? { disk } : {}) };
  try {
    process.stderr.write(`  history: ${messages} messages over ${HISTORY_DAYS} days…\n`);
    const history = await startCluster({ admin, name: 'herald_bench_scale_history', bundle, processes: 1, env: destinations.benchEnv, users: USERS });
    clusters.push(history);
    await stopProcesses(history);
    const made = await insertHistory(history.databaseUrl, { messages, days: HISTORY_DAYS, users: HISTORY_USERS });
    result.history = made;
    const empty = await startCluster({ admin, name: 'herald_bench_scale_empty', bundle, processes: 1, env: destinations.benchEnv, users: USERS });
    clusters.push(empty);
    await stopProcesses(empty);

    // 1. Throughput and latency, the two databases in turn.
    await part(result, 'throughput', async () => {
      const passes: { empty: LoadPass[]; withHistory: LoadPass[] } = { empty: [], withHistory: [] };
      const sides = [
        ['empty', empty],
        ['withHistory', history],
      ] as const;
      for (let i = 0; i < passCount; i++) {
        // Each side goes first in turn (empty, history; history, empty; …): a pass pays for the autovacuum and
        // checkpoint work its predecessor left, and the same side always second would pay it every time.
        for (const [side, cluster] of i % 2 === 0 ? sides : [...sides].reverse()) {
          process.stderr.write(`  ${side === 'empty' ? 'empty database' : `${messages} messages`}, pass ${i + 1} of ${passCount}…\n`);
          await cluster.restart();
          passes[side].push(await loadPass(admin, cluster, destinations, scenario, { seconds, triggers }));
          await stopProcesses(cluster);
        }
      }
      const byThroughput = (p: LoadPass) => p.closedLoop.messagesPerSecond;
      const byP99 = (p: LoadPass) => p.at200.latencyMs.p99;
      const median = (side: LoadPass[]) => ({ closedLoop: medianBy(side, byThroughput).closedLoop, at200: medianBy(side, byP99).at200 });
      const e = median(passes.empty);
      const h = median(passes.withHistory);
      const throughputRatio = ratio(h.closedLoop.messagesPerSecond, e.closedLoop.messagesPerSecond);
      return {
        rate: RATE,
        seconds,
        passCount,
        empty: e,
        withHistory: h,
        /** Closed-loop one-send messages/s with N messages over without (at a steady 200/s both keep up: see at200). */
        throughputRatio,
        at200: {
          p50Ms: { empty: e.at200.latencyMs.p50, withHistory: h.at200.latencyMs.p50 },
          p99Ms: { empty: e.at200.latencyMs.p99, withHistory: h.at200.latencyMs.p99 },
          p99Ratio: ratio(h.at200.latencyMs.p99, e.at200.latencyMs.p99),
          deliveredRatio: ratio(h.at200.messagesPerSecond, e.at200.messagesPerSecond),
        },
        passes: {
          closedLoopMessagesPerSecond: { empty: passes.empty.map(byThroughput), withHistory: passes.withHistory.map(byThroughput) },
          p99At200Ms: { empty: passes.empty.map(byP99), withHistory: passes.withHistory.map(byP99) },
        },
        target: { throughputRatio: '≥ 0.9', met: throughputRatio >= 0.9 },
      };
    });

    // 2. Reads, on each database with its process idle.
    await part(result, 'reads', async () => {
      const reads: Record<'empty' | 'withHistory', Reads> = {} as Record<'empty' | 'withHistory', Reads>;
      for (const [side, cluster, users] of [
        ['empty', empty, USERS],
        ['withHistory', history, HISTORY_USERS],
      ] as const) {
        process.stderr.write(`  reads, ${side === 'empty' ? 'empty database' : `${messages} messages`}…\n`);
        await cluster.restart();
        await checkpoint(admin);
        reads[side] = await measureReads(cluster, { samples, users });
        await stopProcesses(cluster);
      }
      const p99s = Object.fromEntries(Object.entries(reads.withHistory.http).map(([k, v]) => [k, v.p99]));
      return {
        ...reads,
        p99RatioToEmpty: Object.fromEntries(Object.entries(reads.withHistory.http).map(([k, v]) => [k, ratio(v.p99, reads.empty.http[k]!.p99)])),
        target: { p99UnderMs: 50, withHistory: p99s, met: Object.values(p99s).every((p) => p < 50) },
      };
    });

    // 3. Disk per message.
    await part(result, 'diskPerMessage', async () => {
      // Row counts (reltuples) of what the runtime wrote, fresh; the history's are exact (VACUUM counted them).
      await empty.db.query('ANALYZE herald.messages');
      return {
        /** The synthetic history's day partitions (loaded, then indexed: the indexes are as compact as they get). */
        history: await diskPerMessage(history, made.partitions),
        /** What the runtime wrote in the passes on the empty database (the bench tree's short email; indexes grown row by row). */
        runtimeWritten: await diskPerMessage(empty, null),
        /** The rest of a trigger's rows on the same database (small tables: their fixed pages weigh in). */
        otherTablesPerTrigger: await bytesPerTrigger(empty),
      };
    });

    // 4. Retention: the oldest day of the history.
    process.stderr.write('  retention: a day as a partition drop and as DELETE…\n');
    const oldest = Math.floor(Date.now() / DAY_MS) * DAY_MS - HISTORY_DAYS * DAY_MS;
    await part(result, 'retention', () => measureRetention(admin, history.databaseUrl, oldest));
  } finally {
    for (const cluster of clusters.splice(0)) await cluster.stop();
    destinations.reset();
  }

  // 5. The pooler, on databases of its own.
  process.stderr.write('  the transaction pooler…\n');
  await part(result, 'pooler', () => poolerOverhead(admin, destinations, { quick: options.quick }));
  destinations.reset();

  // 6. Random kills: the fault suite's case, when asked for.
  if (options.kills) {
    process.stderr.write('  random kill -9 at 200 triggers/s, with and without send receipts (the fault suite’s case, ~5 min)…\n');
    await part(result, 'kills', () => randomKills(admin));
  } else {
    result.kills = { skipped: 'run with --kills, or name the section (--only scale)' };
  }
  return result;
}

// `npx tsx bench/scale.ts [--quick] [--scale-messages=N] [--kills]` runs it alone.
if (import.meta.url === `file://${process.argv[1]}`) {
  await (await import('./standalone.ts')).runStandalone((admin, destinations, { quick }) =>
    benchScale(admin, destinations, scaleOptionsFrom(process.argv, process.env, quick, false)),
  );
}
