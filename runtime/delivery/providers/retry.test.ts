import { describe, expect, it } from 'vitest';
import type { Provider } from '../../../compiler/bundle/schema.ts';
import { DEFAULT_RETRY, nextDelay, retryPolicyOf } from './retry.ts';

const provider = (options: Provider['options'] = {}): Provider => ({ id: 'sg', channel: 'email', kind: 'sendgrid', credentials: {}, options });

describe('retry policy', () => {
  it('backs off exponentially with full jitter, capped, for as many attempts as allowed', () => {
    const policy = { attempts: 4, baseDelayMs: 100, maxDelayMs: 300, maxRetryAfterMs: 1_000 };
    expect([1, 2, 3].map((n) => nextDelay(policy, n, undefined, () => 1))).toEqual([100, 200, 300]);
    expect(nextDelay(policy, 2, undefined, () => 0.5)).toBe(100);
    expect(nextDelay(policy, 4, undefined, () => 1)).toBeNull();
  });

  it('honours the provider’s Retry-After, and gives up on it when it is longer than a job waits', () => {
    const policy = { attempts: 3, baseDelayMs: 100, maxDelayMs: 300, maxRetryAfterMs: 1_000 };
    expect(nextDelay(policy, 1, 800)).toBe(800);
    expect(nextDelay(policy, 1, 30_000)).toBeNull();
  });

  it('reads a provider’s own policy from its options, field by field', () => {
    expect(retryPolicyOf(provider())).toEqual(DEFAULT_RETRY);
    expect(retryPolicyOf(provider({ retry: { attempts: 1, maxDelayMs: 50 } }))).toEqual({ ...DEFAULT_RETRY, attempts: 1, maxDelayMs: 50 });
    expect(retryPolicyOf(provider({ retry: { attempts: -3 } }))).toEqual(DEFAULT_RETRY);
  });
});
