/**
 * One timed one-send pass on a cluster already started: a warm-up (each process's JIT and connections, the SDK's
 * agent), then `triggers` fired and timed to their last message at the fakes, with the runtime processes' CPU.
 * The overhead benches (a frequency cap, a pooler) compare two kinds of pass made the same way.
 */
import { type Cluster, cpuMs, fireLoad, until } from './cluster.ts';
import type { Destinations } from './fakes.ts';
import { TRIGGERS_IN_FLIGHT } from './raw-pgboss.ts';
import { checkpoint } from './setup.ts';
import { summary } from './stats.ts';

export interface OneSendPass {
  messagesPerSecond: number;
  triggersAcceptedPerSecond: number;
  triggerLatencyMs: ReturnType<typeof summary>;
  /** The runtime processes' CPU per message (PostgreSQL, a pooler and the load generator excluded). */
  runtimeCpuMsPerMessage: number | null;
}

export async function oneSendPass(
  admin: string,
  cluster: Cluster,
  destinations: Destinations,
  options: { users: number; warmUp: number; triggers: number },
): Promise<OneSendPass> {
  const { users, warmUp, triggers } = options;
  const load = { urls: cluster.urls, concurrency: TRIGGERS_IN_FLIGHT, users, event: 'bench_ping' };
  await checkpoint(admin);
  await fireLoad({ ...load, count: warmUp });
  await until(destinations.accepted, warmUp, 300_000, 'messages at the fakes');
  const before = destinations.accepted();
  const cpu = () => {
    const each = cluster.runtimes.map((r) => cpuMs(r.pid));
    return each.includes(null) ? null : (each as number[]).reduce((a, b) => a + b, 0);
  };
  const cpuBefore = cpu();
  const t0 = performance.now();
  const [{ latencies, seconds }, done] = await Promise.all([
    fireLoad({ ...load, count: triggers }),
    until(destinations.accepted, before + triggers, 300_000, 'messages at the fakes'),
  ]);
  const cpuAfter = cpu();
  return {
    messagesPerSecond: Math.round(triggers / ((done - t0) / 1000)),
    triggersAcceptedPerSecond: Math.round(triggers / seconds),
    triggerLatencyMs: summary(latencies),
    runtimeCpuMsPerMessage: cpuBefore === null || cpuAfter === null ? null : +((cpuAfter - cpuBefore) / triggers).toFixed(3),
  };
}
