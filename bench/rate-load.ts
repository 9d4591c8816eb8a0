/**
 * A fixed offered load in a child process, so that neither the runtime nor the bench process's fake providers
 * share its event loop: `rate` triggers/s for `seconds`, each request naming the next user (u0 … u<users-1>),
 * as distinct users trigger in production. Two shapes of the same rate:
 * - `uniform` (the default): request i is due at i / rate seconds and sent then (an open loop: a slow answer
 *   holds back nothing), on kept-alive connections, and timed from when it was due, so that time spent
 *   waiting for a free connection counts (no coordinated omission).
 * - `bursts`: autocannon's `overallRate`. It gives each connection a quota per second and sends the quota
 *   back to back as soon as the second starts: 200/s over 20 connections is a burst of 200 requests, 20 at a
 *   time, at the top of every second, then silence. Latencies corrected for coordinated omission
 *   (autocannon's default).
 */
import autocannon from 'autocannon';
import { summary } from './stats.ts';
import { postTrigger, triggerAgent, triggerBody, TriggerTimeout, type TriggerShape } from './trigger.ts';

export interface RateLoad extends TriggerShape {
  url: string;
  /** How the rate's requests are spread over each second (see above); `uniform` by default. */
  pacing?: 'uniform' | 'bursts';
  apiKey: string;
  rate: number;
  seconds: number;
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

function latencyFigures(latencies: number[]): RateFigures['latencyMs'] {
  const { p50, p90, p99, max, average } = summary(latencies);
  return { p50, p90, p99, max, average };
}

async function fireUniform(load: RateLoad): Promise<RateFigures> {
  const connections = connectionsFor(load.rate);
  const agent = triggerAgent(connections);
  const total = Math.round(load.rate * load.seconds);
  const latencies: number[] = [];
  let ok = 0;
  let non2xx = 0;
  let errors = 0;
  let timeouts = 0;
  const send = async (i: number, due: number) => {
    try {
      const status = await postTrigger(agent, load.url, load.apiKey, triggerBody(load, i), 30_000);
      latencies.push(performance.now() - due);
      if (status >= 200 && status < 300) ok++;
      else non2xx++;
    } catch (error) {
      if (error instanceof TriggerTimeout) timeouts++;
      else errors++;
    }
  };
  const started = performance.now();
  const inFlight: Promise<void>[] = [];
  let next = 0;
  // Each tick sends every request whose time has come; a late tick sends its backlog at once, each still
  // timed from its own due time.
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      for (; next < total && started + (next * 1000) / load.rate <= now; next++) inFlight.push(send(next, started + (next * 1000) / load.rate));
      if (next >= total) return resolve();
      setTimeout(tick, Math.max(0, started + (next * 1000) / load.rate - performance.now()));
    };
    tick();
  });
  await Promise.all(inFlight);
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  return {
    offeredPerSecond: load.rate,
    achievedPerSecond: Math.round(ok / seconds),
    requests: total,
    ok,
    non2xx,
    errors,
    timeouts,
    latencyMs: latencyFigures(latencies),
    connections,
  };
}

async function fireBursts(load: RateLoad): Promise<RateFigures> {
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
          return { ...request, body: triggerBody(load, i) };
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
function fire(load: RateLoad): Promise<RateFigures> {
  return load.pacing === 'bursts' ? fireBursts(load) : fireUniform(load);
}

if (import.meta.url === `file://${process.argv[1]}`) process.stdout.write(`${JSON.stringify(await fire(JSON.parse(process.argv[2]!) as RateLoad))}\n`);
