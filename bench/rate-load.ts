/**
 * A fixed offered load (autocannon's `overallRate`) in a child process, so that neither the runtime nor the
 * bench process's fake providers share its event loop (not a worker thread: autocannon takes any thread but
 * the main one for one of its own workers): `rate` triggers/s for `seconds`, latencies corrected
 * for coordinated omission (autocannon's default: a request held back by a slow one is timed from when it
 * was due). Each request names the next user (u0 … u<users-1>), as distinct users trigger in production.
 */
import autocannon from 'autocannon';

export interface RateLoad {
  url: string;
  apiKey: string;
  rate: number;
  seconds: number;
  event: string;
  users: number;
  properties?: Record<string, unknown>;
}

export interface RateFigures {
  offeredPerSecond: number;
  /** 2xx answers per second over the run. */
  achievedPerSecond: number;
  requests: number;
  /** Answered 2xx (accepted triggers). */
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; average: number };
  connections: number;
}

/** Connections enough for the rate at up to 100 ms a request (each connection has one request in flight). */
export const connectionsFor = (rate: number) => Math.max(10, Math.ceil(rate / 10));

async function fire(load: RateLoad): Promise<RateFigures> {
  let n = 0;
  const connections = connectionsFor(load.rate);
  const result = await autocannon({
    url: load.url,
    connections,
    duration: load.seconds,
    overallRate: load.rate,
    timeout: 30,
    requests: [
      {
        method: 'POST',
        path: '/v1/events',
        headers: { authorization: `Bearer ${load.apiKey}`, 'content-type': 'application/json' },
        setupRequest: (request) => {
          const i = n++;
          return { ...request, body: JSON.stringify({ event: load.event, userId: `u${i % load.users}`, properties: { ...load.properties, n: i } }) };
        },
      },
    ],
  });
  const l = result.latency;
  return {
    offeredPerSecond: load.rate,
    achievedPerSecond: Math.round(result['2xx'] / result.duration),
    requests: result.requests.total,
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    latencyMs: { p50: l.p50, p90: l.p90, p99: l.p99, max: l.max, average: +l.average.toFixed(2) },
    connections,
  };
}

// `node --import tsx bench/rate-load.ts '<RateLoad as JSON>'` prints the figures as JSON (latency.ts runs it).
if (import.meta.url === `file://${process.argv[1]}`) process.stdout.write(`${JSON.stringify(await fire(JSON.parse(process.argv[2]!) as RateLoad))}\n`);
