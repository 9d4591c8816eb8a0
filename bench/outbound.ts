/**
 * What outbound lifecycle events cost (runtime/outbox/): one-send throughput of a `herald start` process with no
 * webhook endpoint, and with two endpoints subscribed to every event type (the triggers then write each state
 * change's events and two deliveries in the same transaction), as a ratio (target ≥ 0.8); and the outbound events
 * delivered per second by that process's delivery workers to a local receiver (answering 204 at once), from the
 * pass's start until no delivery is pending. Passes alternate so that a slow moment of a shared machine lands in
 * one pass of one side; the figures are medians.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { api, startCluster, untilCount } from './cluster.ts';
import type { Destinations } from './fakes.ts';
import { oneSendPass, type OneSendPass } from './one-send-pass.ts';
import { medianBy } from './stats.ts';
import { benchBundle } from './trees.ts';

const USERS = 100;
const WARM_UP = 200;

export interface OutboundPass extends OneSendPass {
  /** Deliveries made (two endpoints × events) and how fast, from the pass's start until none was pending. */
  deliveries: number;
  deliveredPerSecond: number | null;
}

export interface OutboundOverhead {
  none: OutboundPass;
  twoEndpoints: OutboundPass;
  /** Messages/s with two endpoints over messages/s with none (1 = free). */
  ratio: number;
  eventsPerMessage: number;
  outboundDeliveredPerSecond: number | null;
  triggers: number;
  passes: { none: number[]; twoEndpoints: number[]; deliveredPerSecond: (number | null)[] };
}

async function receiver() {
  let received = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received++;
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received: () => received, close: () => server.close() };
}

async function pass(admin: string, destinations: Destinations, endpoints: number, triggers: number): Promise<OutboundPass> {
  const cluster = await startCluster({
    admin,
    name: `herald_bench_outbound_${endpoints}`,
    bundle: await benchBundle(),
    processes: 1,
    // The receiver is plain http on loopback, which the outbound guard allows only in development.
    env: { ...destinations.benchEnv, NODE_ENV: 'development' },
    users: USERS,
  });
  const sink = await receiver();
  try {
    for (let i = 0; i < endpoints; i++) await api(cluster.urls[0]!, 'POST', '/v1/webhook-endpoints', { url: `${sink.url}/e${i}` });
    const t0 = performance.now();
    const figures = await oneSendPass(admin, cluster, destinations, { users: USERS, warmUp: WARM_UP, triggers });
    if (endpoints === 0) return { ...figures, deliveries: 0, deliveredPerSecond: null };
    // Until no delivery is pending; a pass that has not drained in 10 minutes fails rather than report a figure.
    const drained = await untilCount(
      cluster.db,
      `SELECT (NOT EXISTS (SELECT 1 FROM herald.outbound_deliveries WHERE state = 'pending'))::int AS n`,
      1,
      600_000,
    );
    const seconds = (drained - t0) / 1000;
    return { ...figures, deliveries: sink.received(), deliveredPerSecond: Math.round(sink.received() / seconds) };
  } finally {
    sink.close();
    await cluster.stop();
    destinations.reset();
  }
}

export async function benchOutbound(admin: string, destinations: Destinations, options: { quick: boolean }): Promise<OutboundOverhead> {
  const triggers = options.quick ? 1_000 : 5_000;
  const rounds = options.quick ? 1 : 3;
  const none: OutboundPass[] = [];
  const two: OutboundPass[] = [];
  for (let i = 0; i < rounds; i++) {
    process.stderr.write(`  one-send, 1 process, no endpoint, pass ${i + 1}…\n`);
    none.push(await pass(admin, destinations, 0, triggers));
    process.stderr.write(`  one-send, 1 process, 2 endpoints subscribed to every event, pass ${i + 1}…\n`);
    two.push(await pass(admin, destinations, 2, triggers));
  }
  const figure = (p: OutboundPass) => p.messagesPerSecond;
  const median = { none: medianBy(none, figure), twoEndpoints: medianBy(two, figure) };
  return {
    ...median,
    ratio: +(median.twoEndpoints.messagesPerSecond / median.none.messagesPerSecond).toFixed(2),
    eventsPerMessage: +(median.twoEndpoints.deliveries / 2 / (triggers + WARM_UP)).toFixed(2),
    outboundDeliveredPerSecond: median.twoEndpoints.deliveredPerSecond,
    triggers,
    passes: { none: none.map(figure), twoEndpoints: two.map(figure), deliveredPerSecond: two.map((p) => p.deliveredPerSecond) },
  };
}

// `npx tsx bench/outbound.ts [--quick]` runs it alone.
if (import.meta.url === `file://${process.argv[1]}`) await (await import('./standalone.ts')).runStandalone(benchOutbound);
