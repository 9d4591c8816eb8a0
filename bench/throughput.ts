/**
 * End-to-end throughput at 1, 2 and 4 `herald start` processes sharing one database: triggers/s accepted
 * through the HTTP API (spread round robin over the processes) and messages/s reaching the fake providers,
 * for a one-send workflow and for the seed flow. Baselines from the same run and server: raw pg-boss
 * send + work of the same number of jobs (raw-pgboss.ts) and pgbench's write TPS (pgbench.ts). The headline
 * pair (one-send at one process, raw pg-boss) is the median of three passes taken in turn.
 */
import type { Bundle } from '../compiler/bundle/schema.ts';
import { type Cluster, cpuMs, fireLoad, startCluster, until, untilCount } from './cluster.ts';
import type { Destinations } from './fakes.ts';
import { pgbench } from './pgbench.ts';
import { rawPgBoss, TRIGGERS_IN_FLIGHT, type RawPgBossFigures } from './raw-pgboss.ts';
import { measureServer } from './server-usage.ts';
import { checkpoint, createDatabase, dropDatabase } from './setup.ts';
import { medianBy, summary } from './stats.ts';
import { benchBundle, SEED_WAIT_MS, seedBundle } from './trees.ts';

const USERS = 100;
const WARM_UP = 100;
const PROCESSES = [1, 2, 4] as const;
const HEADLINE_PASSES = 3;

export interface Scenario {
  bundle: Bundle;
  env: Record<string, string>;
  event: string;
  properties?: Record<string, unknown>;
  profile?: (u: number) => Record<string, unknown>;
  messagesPerRun: number;
  /** Messages arrived so far: at the fakes, or (sandbox) in the message log. */
  arrived: 'fakes' | 'log';
}

/** One pass: `processes` runtimes on a fresh database, a warm-up, then `triggers` triggers timed to their last message. */
async function pass(admin: string, destinations: Destinations, scenario: Scenario, processes: number, triggers: number) {
  const name = `herald_bench_e2e_${processes}`;
  const started = performance.now();
  const cluster = await startCluster({
    admin,
    name,
    bundle: scenario.bundle,
    processes,
    env: scenario.env,
    users: USERS,
    ...(scenario.profile ? { profile: scenario.profile } : {}),
  });
  try {
    return await timedPass(admin, cluster, destinations, scenario, triggers, started);
  } finally {
    await cluster.stop();
    destinations.reset();
  }
}

/**
 * On a cluster whose processes are up (one-send's users u0 … u<USERS-1> made): a checkpoint, a warm-up, then
 * `triggers` triggers (TRIGGERS_IN_FLIGHT in flight, round robin over the processes) timed to their last
 * message. Messages counted in the log (`arrived: 'log'`) assume a database with no sent message before the
 * warm-up; at the fakes, any number may have arrived before. `started`: when the pass began (for the log line).
 */
export async function timedPass(
  admin: string,
  cluster: Cluster,
  destinations: Destinations,
  scenario: Scenario,
  triggers: number,
  started = performance.now(),
) {
  const processes = cluster.runtimes.length;
  const load = {
    urls: cluster.urls,
    concurrency: TRIGGERS_IN_FLIGHT,
    users: USERS,
    event: scenario.event,
    ...(scenario.properties ? { properties: scenario.properties } : {}),
  };
  const sentRows = "SELECT count(*)::int AS n FROM herald.messages WHERE status = 'sent'";
  const arrived = async (target: number) =>
    scenario.arrived === 'fakes' ? until(destinations.accepted, target, 300_000, 'messages at the fakes') : untilCount(cluster.db, sentRows, target, 300_000);
  await checkpoint(admin);
  // Warm-up, untimed: each process's JIT, connections and prepared statements, the SDK's agent.
  const warmFrom = scenario.arrived === 'fakes' ? destinations.accepted() : 0;
  await fireLoad({ ...load, count: WARM_UP * processes });
  await arrived(warmFrom + WARM_UP * processes * scenario.messagesPerRun);
  const before = scenario.arrived === 'fakes' ? destinations.accepted() : WARM_UP * processes * scenario.messagesPerRun;
  /** The runtime processes' CPU time so far (null without /proc). */
  const cpu = () => {
    const each = cluster.runtimes.map((r) => cpuMs(r.pid));
    return each.includes(null) ? null : (each as number[]).reduce((a, b) => a + b, 0);
  };
  const server = await measureServer(admin);
  const cpuBefore = cpu();
  const t0 = performance.now();
  const [{ latencies, seconds }, done] = await Promise.all([fireLoad({ ...load, count: triggers }), arrived(before + triggers * scenario.messagesPerRun)]);
  const cpuAfter = cpu();
  const spent = await server();
  const messages = triggers * scenario.messagesPerRun;
  process.stderr.write(`    ${((t0 - started) / 1000).toFixed(1)} s to start and warm up, ${((done - t0) / 1000).toFixed(1)} s timed\n`);
  return {
    processes,
    triggers,
    messages,
    triggersAcceptedPerSecond: Math.round(triggers / seconds),
    messagesPerSecond: Math.round(messages / ((done - t0) / 1000)),
    triggerLatencyMs: summary(latencies),
    // The runtime processes' CPU per message (the load generator and Postgres excluded).
    runtimeCpuMsPerMessage: cpuBefore === null || cpuAfter === null ? null : +((cpuAfter - cpuBefore) / messages).toFixed(3),
    // PostgreSQL's CPU per message, all its processes (null when the server is not on this machine), and the
    // WAL it wrote per message (the whole server's: nothing else runs during a pass).
    postgresCpuMsPerMessage: spent.cpuMs === null ? null : +(spent.cpuMs / messages).toFixed(3),
    walBytesPerMessage: Math.round(spent.walBytes / messages),
  };
}

type Pass = Awaited<ReturnType<typeof timedPass>>;

/** Each pass with its ratios to raw pg-boss (messages/s to jobs/s, triggers/s to sends/s). */
function withRatios(result: Pass, baseline: RawPgBossFigures, messagesPerRun: number) {
  return {
    ...result,
    ratioToRawPgBoss: +(result.messagesPerSecond / baseline.endToEndPerSecond).toFixed(2),
    // A seed run is several jobs (start, the wait's timer, …): compare runs/s, the unit a job of the baseline stands for.
    ...(messagesPerRun > 1 ? { runsPerSecond: Math.round(result.messagesPerSecond / messagesPerRun) } : {}),
    acceptRatioToRawSend: +(result.triggersAcceptedPerSecond / baseline.sendPerSecond).toFixed(2),
  };
}

export async function benchThroughput(admin: string, destinations: Destinations, options: { quick: boolean }) {
  const triggers = options.quick ? 1_000 : 5_000;
  const seedTriggers = triggers / 2;
  process.stderr.write('  pgbench…\n');
  const database = await pgbench(admin, { seconds: options.quick ? 5 : 10 });
  const bench = await benchBundle();
  const oneSend: Scenario = { bundle: bench, env: destinations.benchEnv, event: 'bench_ping', messagesPerRun: 1, arrived: 'fakes' };

  // The headline pair — one-send at one process, and raw pg-boss — as medians of passes taken in turn, so that
  // a slow moment of the shared machine lands in one pass of one side, not in the figure.
  const rawPasses: RawPgBossFigures[] = [];
  const onePasses: Pass[] = [];
  for (let i = 0; i < (options.quick ? 1 : HEADLINE_PASSES); i++) {
    process.stderr.write(`  raw pg-boss, pass ${i + 1}…\n`);
    const rawName = 'herald_bench_raw';
    const rawUrl = await createDatabase(admin, rawName);
    await checkpoint(admin);
    rawPasses.push(await rawPgBoss(rawUrl, triggers).finally(() => dropDatabase(admin, rawName)));
    process.stderr.write(`  one-send, 1 process, pass ${i + 1}…\n`);
    onePasses.push(await pass(admin, destinations, oneSend, 1, triggers));
  }
  const baseline = medianBy(rawPasses, (r) => r.endToEndPerSecond);
  const oneProcess = medianBy(onePasses, (p) => p.messagesPerSecond);
  const seed: Scenario = {
    bundle: await seedBundle(),
    env: destinations.seedEnv,
    event: 'trial_started',
    properties: { first_name: 'Ada', plan_type: 'pro' },
    profile: (u) => ({ email: `u${u}@example.com`, phone_number: '+15555550100' }),
    // The welcome email, then (not opened, not active) the SMS nudge.
    messagesPerRun: 2,
    arrived: 'fakes',
  };
  const runs = async (scenario: Scenario, label: string, count: number, processes: readonly number[] = PROCESSES) => {
    const out: Record<string, ReturnType<typeof withRatios>> = {};
    for (const n of processes) {
      process.stderr.write(`  ${label}, ${n} process${n > 1 ? 'es' : ''}…\n`);
      out[`processes${n}`] = withRatios(await pass(admin, destinations, scenario, n, count), baseline, scenario.messagesPerRun);
    }
    return out;
  };
  // One process was measured with the baseline above.
  const oneSendRuns = { processes1: withRatios(oneProcess, baseline, 1), ...(await runs(oneSend, 'one-send', triggers, PROCESSES.slice(1))) };
  process.stderr.write('  one-send, sandbox, 1 process…\n');
  const sandbox = withRatios(await pass(admin, destinations, { ...oneSend, env: {}, arrived: 'log' }, 1, triggers), baseline, 1);
  process.stderr.write('  one-send, start jobs (HERALD_LOCAL_STARTS=off), 1 process…\n');
  const startJobs = withRatios(await pass(admin, destinations, { ...oneSend, env: { ...oneSend.env, HERALD_LOCAL_STARTS: 'off' } }, 1, triggers), baseline, 1);
  process.stderr.write('  one-send, without send receipts (HERALD_SEND_RECEIPTS=off), 1 process…\n');
  const noReceipts = withRatios(
    await pass(admin, destinations, { ...oneSend, env: { ...oneSend.env, HERALD_SEND_RECEIPTS: 'off' } }, 1, triggers),
    baseline,
    1,
  );
  const seedRuns = await runs(seed, 'seed flow', seedTriggers);
  const one = oneSendRuns.processes1;
  return {
    baselineRawPgBoss: baseline,
    baselinePgbench: database,
    oneSend: oneSendRuns,
    /** The same at one process with the sandbox provider (no SDK, no HTTP to a provider): counted in the message log. */
    oneSendSandbox: sandbox,
    /** The same at one process with every run started by a queued start job, as before local starts. */
    oneSendStartJobs: startJobs,
    /**
     * The same at one process without send receipts (runtime/delivery/receipts.ts), and what they cost: the
     * one-send figure with them over this one (1 = free).
     */
    oneSendWithoutReceipts: { ...noReceipts, receiptsRatio: one.messagesPerSecond / noReceipts.messagesPerSecond },
    seedFlow: { workflow: 'onboarding (notifications/, waits shortened)', waitMs: SEED_WAIT_MS, messagesPerRun: seed.messagesPerRun, ...seedRuns },
    loadConcurrency: TRIGGERS_IN_FLIGHT,
    /** Every headline pass, in the order taken (raw pg-boss, then Herald, in turn); the figures above are their medians. */
    headlinePasses: { rawPgBossJobsPerSecond: rawPasses.map((r) => r.endToEndPerSecond), oneSendMessagesPerSecond: onePasses.map((p) => p.messagesPerSecond) },
    targets: {
      oneSendMessagesPerSecondOneProcess: { target: 1000, value: one.messagesPerSecond, met: one.messagesPerSecond >= 1000 },
      ratioToRawPgBoss: { target: 0.5, value: one.ratioToRawPgBoss, met: one.ratioToRawPgBoss >= 0.5 },
    },
  };
}

// `npx tsx bench/throughput.ts [--quick]` runs it alone.
if (import.meta.url === `file://${process.argv[1]}`) await (await import('./standalone.ts')).runStandalone(benchThroughput);
