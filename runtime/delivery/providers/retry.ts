/**
 * How long a send keeps trying one provider before failing over to the next. Retries happen inside the
 * job (the run stays locked, nothing else of it can move meanwhile), so the budget is seconds, not hours:
 * a provider that asks for a longer pause (Retry-After) is treated as down for this message, and the next
 * provider of the channel — or the next channel — serves it.
 */
import type { Provider } from '../../../compiler/bundle/schema.ts';

export interface RetryPolicy {
  /** Attempts per provider, the first included. */
  attempts: number;
  /** Backoff before attempt n+1: a random wait in [0, min(maxDelayMs, baseDelayMs·2ⁿ)] ("full jitter"). */
  baseDelayMs: number;
  maxDelayMs: number;
  /** A provider's own hint longer than this is not waited for: failover instead. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 3, baseDelayMs: 250, maxDelayMs: 4_000, maxRetryAfterMs: 10_000 };

/** The policy for a provider: the defaults, overridden field by field by the provider's `options.retry`. */
export function retryPolicyOf(provider: Provider, defaults: RetryPolicy = DEFAULT_RETRY): RetryPolicy {
  const given = provider.options.retry;
  if (!given || typeof given !== 'object' || Array.isArray(given)) return defaults;
  const pick = (key: keyof RetryPolicy) => {
    const value = (given as Record<string, unknown>)[key];
    return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : defaults[key];
  };
  return {
    attempts: Math.max(1, Math.floor(pick('attempts'))),
    baseDelayMs: pick('baseDelayMs'),
    maxDelayMs: pick('maxDelayMs'),
    maxRetryAfterMs: pick('maxRetryAfterMs'),
  };
}

/**
 * The wait before the next attempt after `attempt` (1-based) failed, or null when the provider should be
 * given up for this message (attempts spent, or its Retry-After is beyond what a job waits).
 */
export function nextDelay(policy: RetryPolicy, attempt: number, retryAfterMs: number | undefined, random: () => number = Math.random): number | null {
  if (attempt >= policy.attempts) return null;
  if (retryAfterMs !== undefined) return retryAfterMs > policy.maxRetryAfterMs ? null : retryAfterMs;
  return Math.round(random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1)));
}
