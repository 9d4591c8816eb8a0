/**
 * What a transaction pooler costs (runtime/README.md, "Through a connection pooler"): one-send throughput of
 * `herald start` processes on PostgreSQL directly, and the same through PgBouncer in transaction pooling mode
 * (DATABASE_URL at the pooler, DATABASE_DIRECT_URL at PostgreSQL), in the same run on the same server. Passes
 * alternate direct and pooled, so that a slow moment of a shared machine lands in one pass of one side; the
 * figures are medians. Through the pooler every statement is parsed and planned again (no named statements)
 * and every round trip has a hop more.
 */
import { startCluster } from './cluster.ts';
import type { Destinations } from './fakes.ts';
import { oneSendPass, type OneSendPass } from './one-send-pass.ts';
import { medianBy } from './stats.ts';
import { benchBundle } from './trees.ts';
import { startPgBouncer, type PgBouncer } from '../test/setup/pgbouncer.ts';

const USERS = 100;
const WARM_UP = 200;

export interface PoolerOptions {
  quick: boolean;
  /** `herald start` processes sharing the database (default 2). */
  processes?: number;
  /** The pooler's server connections for the database (default 20, PgBouncer's own default_pool_size). */
  poolSize?: number;
}

export type PoolerPass = OneSendPass;

export interface PoolerOverhead {
  direct: PoolerPass;
  pooled: PoolerPass;
  /** Pooled messages/s over direct (1 = the pooler costs nothing). */
  ratio: number;
  processes: number;
  poolSize: number;
  triggers: number;
  passes: { direct: number[]; pooled: number[] };
}

/** One pass: `processes` runtimes on a fresh database, straight or through `pooler`, a warm-up, then `triggers` timed to their last message. */
async function pass(admin: string, destinations: Destinations, pooler: PgBouncer | null, processes: number, triggers: number): Promise<PoolerPass> {
  const name = `herald_bench_pooler_${pooler ? 'pooled' : 'direct'}`;
  // The database startCluster creates (setup.ts createDatabase), as the pooler reaches it.
  const direct = new URL(admin);
  direct.pathname = `/${name}`;
  const env = {
    ...destinations.benchEnv,
    ...(pooler ? { DATABASE_URL: pooler.through(direct.toString()), DATABASE_DIRECT_URL: direct.toString() } : {}),
  };
  const cluster = await startCluster({ admin, name, bundle: await benchBundle(), processes, env, users: USERS });
  try {
    // Every process warms up (its JIT and connections, the SDK's agent).
    return await oneSendPass(admin, cluster, destinations, { users: USERS, warmUp: WARM_UP * processes, triggers });
  } finally {
    await cluster.stop();
    destinations.reset();
  }
}

export async function poolerOverhead(admin: string, destinations: Destinations, options: PoolerOptions): Promise<PoolerOverhead> {
  const processes = options.processes ?? 2;
  const poolSize = options.poolSize ?? 20;
  const triggers = options.quick ? 1_000 : 5_000;
  const rounds = options.quick ? 1 : 3;
  const pooler = await startPgBouncer({ serverUrl: admin, poolSize });
  try {
    const direct: PoolerPass[] = [];
    const pooled: PoolerPass[] = [];
    for (let i = 0; i < rounds; i++) {
      process.stderr.write(`  one-send, ${processes} processes, direct, pass ${i + 1}…\n`);
      direct.push(await pass(admin, destinations, null, processes, triggers));
      process.stderr.write(`  one-send, ${processes} processes, through PgBouncer (transaction pooling, ${poolSize} server connections), pass ${i + 1}…\n`);
      pooled.push(await pass(admin, destinations, pooler, processes, triggers));
    }
    const figure = (p: PoolerPass) => p.messagesPerSecond;
    const median = { direct: medianBy(direct, figure), pooled: medianBy(pooled, figure) };
    return {
      ...median,
      ratio: +(median.pooled.messagesPerSecond / median.direct.messagesPerSecond).toFixed(2),
      processes,
      poolSize,
      triggers,
      passes: { direct: direct.map(figure), pooled: pooled.map(figure) },
    };
  } finally {
    await pooler.stop();
  }
}

// `npx tsx bench/pooler.ts [--quick]` runs it alone.
if (import.meta.url === `file://${process.argv[1]}`) await (await import('./standalone.ts')).runStandalone(poolerOverhead);
