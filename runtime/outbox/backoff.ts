/**
 * When a failed delivery is tried again: exponential backoff from `baseMs` (doubling, capped at an hour), for
 * up to `maxAgeMs` (3 days) from the event's first delivery; past that it is dead-lettered. Pure.
 */
const MAX_RETRY_DELAY_MS = 60 * 60 * 1000;
export const DEFAULT_MAX_AGE_MS = 3 * 24 * 60 * 60 * 1000;

export interface BackoffPolicy {
  /** The first retry's delay; Standard Webhooks senders commonly start at seconds. */
  baseMs: number;
  maxAgeMs: number;
}

/** Milliseconds until the next attempt after `attempts` failed ones, or null: give up (dead-letter). */
export function retryIn(attempts: number, firstQueuedAt: number, now: number, policy: BackoffPolicy): number | null {
  const delay = Math.min(policy.baseMs * 2 ** Math.max(0, attempts - 1), Math.max(MAX_RETRY_DELAY_MS, policy.baseMs));
  if (now + delay - firstQueuedAt > policy.maxAgeMs) return null;
  return delay;
}
