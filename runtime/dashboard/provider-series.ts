/**
 * Provider health over time, for the providers page: every 10 s the health report (delivery/providers/health.ts) is
 * sampled into a ring buffer, so the page can draw the last hour without the health module keeping history
 * itself. In memory and per process, like the breakers it samples: a restart starts the charts afresh.
 */
import type { BreakerState, ProviderHealth, ProviderHealthReport } from '../delivery/providers/health.ts';
import { RingBuffer } from './ring.ts';

export const SAMPLE_INTERVAL_MS = 10_000;
/** An hour of samples at 10 s. */
export const SAMPLE_CAPACITY = 360;

export interface ProviderPoint {
  provider: string;
  state: BreakerState;
  /** 0–1 over the breaker's window; null when nothing was attempted in it. */
  successRate: number | null;
  p50: number | null;
  p95: number | null;
  attempts: number;
}

export interface ProviderSample {
  at: number;
  points: ProviderPoint[];
}

export interface ProviderSeries {
  /** Takes a sample now (the timer calls it; tests may too). */
  sample(): ProviderSample;
  /** Samples kept, oldest first. */
  samples(): ProviderSample[];
  /** Stops the timer (the runtime's own stop does not know of it; the timer is unref'd so it never holds the process). */
  stop(): void;
}

export function pointOf(report: ProviderHealthReport): ProviderPoint {
  return {
    provider: report.provider,
    state: report.state,
    successRate: report.successRate,
    p50: report.latencyMs?.p50 ?? null,
    p95: report.latencyMs?.p95 ?? null,
    attempts: report.attempts,
  };
}

export interface ProviderSeriesOptions {
  health: ProviderHealth;
  /** The providers to report even before any attempt (the live bundle's). */
  providers: () => string[];
  intervalMs?: number;
  capacity?: number;
  now?: () => number;
}

export function startProviderSeries(options: ProviderSeriesOptions): ProviderSeries {
  const ring = new RingBuffer<ProviderSample>(options.capacity ?? SAMPLE_CAPACITY);
  const now = options.now ?? Date.now;
  const sample = () => {
    const at = now();
    // The live bundle's providers, and any other one that was used (an older bundle's, still serving runs).
    const names = new Set([...options.providers(), ...options.health.report(at).map((r) => r.provider)]);
    const taken = { at, points: options.health.report(at, [...names].sort()).map(pointOf) };
    ring.push(taken);
    return taken;
  };
  sample();
  const timer = setInterval(sample, options.intervalMs ?? SAMPLE_INTERVAL_MS);
  timer.unref();
  return { sample, samples: () => ring.toArray(), stop: () => clearInterval(timer) };
}

/** The samples regrouped per provider: time → point, oldest first. */
export function seriesByProvider(samples: ProviderSample[]): Map<string, { at: number; point: ProviderPoint }[]> {
  const out = new Map<string, { at: number; point: ProviderPoint }[]>();
  for (const s of samples) {
    for (const point of s.points) {
      let list = out.get(point.provider);
      if (!list) out.set(point.provider, (list = []));
      list.push({ at: s.at, point });
    }
  }
  return out;
}

/**
 * HERALD_DASHBOARD_SAMPLE_MS: the sampling interval (10 s unless set; 100 ms at least). Tests shorten it to
 * see lines drawn within seconds.
 */
export function sampleIntervalFrom(env: NodeJS.ProcessEnv): number {
  const value = Number(env.HERALD_DASHBOARD_SAMPLE_MS);
  return Number.isFinite(value) && value >= 100 ? value : SAMPLE_INTERVAL_MS;
}
