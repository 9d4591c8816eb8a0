/**
 * Each provider's health as this process sees it: success rate and latency over a sliding window, and a
 * circuit breaker. When a provider keeps failing, the breaker opens and sends skip it (failover serves them)
 * instead of each waiting out its timeouts and retries; after a cool-down one probe is let through, and its
 * outcome closes or re-opens the breaker. Per process: several runtimes each learn on their own.
 */

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerPolicy {
  /** The window outcomes are counted over. */
  windowMs: number;
  /** Fewest attempts in the window before the failure rate can open the breaker. */
  minAttempts: number;
  /** Failure rate (0–1) at which the breaker opens. */
  failureRate: number;
  /** How long an open breaker refuses before letting one probe through. */
  coolDownMs: number;
}

export const DEFAULT_BREAKER: BreakerPolicy = { windowMs: 60_000, minAttempts: 5, failureRate: 0.5, coolDownMs: 30_000 };

interface Outcome {
  at: number;
  ok: boolean;
  latencyMs: number;
}

export interface ProviderHealthReport {
  provider: string;
  state: BreakerState;
  /** Attempts and successes in the window. */
  attempts: number;
  successes: number;
  successRate: number | null;
  latencyMs: { p50: number; p95: number } | null;
  openedAt: string | null;
  totals: { attempts: number; failures: number };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

class ProviderBreaker {
  /**
   * Outcomes in the window, oldest first, from `head` on: pruning moves `head` (the array is compacted once
   * the dropped part dominates), and the window's failures are counted as outcomes come and go, so recording
   * an outcome costs the same with 60,000 in the window as with 6.
   */
  private outcomes: Outcome[] = [];
  private head = 0;
  private failedInWindow = 0;
  private state: BreakerState = 'closed';
  private openedAt = 0;
  private probing = false;
  private attempts = 0;
  private failures = 0;

  readonly provider: string;

  private readonly policy: BreakerPolicy;

  constructor(provider: string, policy: BreakerPolicy) {
    this.provider = provider;

    this.policy = policy;
  }

  private get inWindow(): number {
    return this.outcomes.length - this.head;
  }

  private prune(now: number) {
    const from = now - this.policy.windowMs;
    while (this.head < this.outcomes.length && this.outcomes[this.head]!.at < from) {
      if (!this.outcomes[this.head]!.ok) this.failedInWindow--;
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.outcomes.length) {
      this.outcomes = this.outcomes.slice(this.head);
      this.head = 0;
    }
  }

  /** Forgets the window and starts it again from one outcome. */
  private restart(outcome: Outcome) {
    this.outcomes = [outcome];
    this.head = 0;
    this.failedInWindow = outcome.ok ? 0 : 1;
  }

  /** Whether an attempt may go to this provider now (an open breaker past its cool-down admits one probe). */
  allow(now: number): boolean {
    if (this.state === 'closed') return true;
    if (this.state === 'open' && now - this.openedAt >= this.policy.coolDownMs) this.state = 'half-open';
    if (this.state === 'half-open' && !this.probing) {
      this.probing = true;
      return true;
    }
    return false;
  }

  record(now: number, ok: boolean, latencyMs: number) {
    this.attempts++;
    if (!ok) this.failures++;
    this.outcomes.push({ at: now, ok, latencyMs });
    if (!ok) this.failedInWindow++;
    this.prune(now);
    if (this.state === 'half-open') {
      this.probing = false;
      // A fresh start: the failures that opened the breaker no longer speak for the provider.
      if (ok) {
        this.state = 'closed';
        this.restart({ at: now, ok, latencyMs });
      } else this.open(now);
      return;
    }
    const total = this.inWindow;
    if (this.state === 'closed' && total >= this.policy.minAttempts && this.failedInWindow / total >= this.policy.failureRate) this.open(now);
  }

  private open(now: number) {
    this.state = 'open';
    this.openedAt = now;
  }

  /** The breaker's state now (cheap: no statistics). */
  stateAt(now: number): BreakerState {
    if (this.state === 'open' && now - this.openedAt >= this.policy.coolDownMs) this.state = 'half-open';
    return this.state;
  }

  report(now: number): ProviderHealthReport {
    this.prune(now);
    this.stateAt(now);
    const attempts = this.inWindow;
    const successes = attempts - this.failedInWindow;
    const latencies = this.outcomes
      .slice(this.head)
      .map((o) => o.latencyMs)
      .sort((a, b) => a - b);
    return {
      provider: this.provider,
      state: this.state,
      attempts,
      successes,
      successRate: attempts ? successes / attempts : null,
      latencyMs: latencies.length ? { p50: percentile(latencies, 0.5), p95: percentile(latencies, 0.95) } : null,
      openedAt: this.state === 'closed' ? null : new Date(this.openedAt).toISOString(),
      totals: { attempts: this.attempts, failures: this.failures },
    };
  }
}

export interface ProviderHealth {
  allow(provider: string, now: number): boolean;
  record(provider: string, outcome: { ok: boolean; latencyMs: number; now: number }): void;
  /** Every provider seen so far, or exactly the ones named. */
  report(now: number, providers?: string[]): ProviderHealthReport[];
  state(provider: string, now: number): BreakerState;
}

export function createProviderHealth(
  policy: BreakerPolicy = DEFAULT_BREAKER,
  onRecord?: (provider: string, ok: boolean, latencyMs: number, state: BreakerState) => void,
): ProviderHealth {
  const breakers = new Map<string, ProviderBreaker>();
  const of = (provider: string) => {
    let breaker = breakers.get(provider);
    if (!breaker) breakers.set(provider, (breaker = new ProviderBreaker(provider, policy)));
    return breaker;
  };
  return {
    allow: (provider, now) => of(provider).allow(now),
    record(provider, { ok, latencyMs, now }) {
      const breaker = of(provider);
      breaker.record(now, ok, latencyMs);
      onRecord?.(provider, ok, latencyMs, breaker.stateAt(now));
    },
    report: (now, providers) => (providers ? providers.map(of) : [...breakers.values()]).map((b) => b.report(now)),
    state: (provider, now) => of(provider).stateAt(now),
  };
}
