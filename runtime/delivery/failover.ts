/**
 * Hands one rendered message to the providers of its channel in failover order. Each provider gets a few
 * attempts with backoff (its Retry-After honoured) unless its circuit breaker is open; a permanent error
 * (invalid address, unsubscribed recipient, bad request) ends the channel at once — another provider would
 * refuse it too — and lets routing fall back to the next channel; a fault of the provider's own (refused
 * credentials, no sender configured) moves on to the next provider. Every attempt is kept for the log.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { JsonValue, Provider } from '../../compiler/bundle/schema.ts';
import type { ProviderRegistry } from './providers/registry.ts';
import { nextDelay, retryPolicyOf } from './providers/retry.ts';
import type { DeliveryResult, OptOut, OutboundMessage } from './providers/types.ts';

export type FailoverOutcome =
  | { ok: true; provider: Provider; adapter: string; providerMessageId: string; response: JsonValue; invalidTokens: string[]; attempts: JsonValue[] }
  | {
      ok: false;
      reason: 'permanent_error' | 'all_providers_failed' | 'no_provider';
      code: string | null;
      invalidTokens: string[];
      attempts: JsonValue[];
      /** The permanent refusal was the recipient's opt-out (the provider said so). */
      optOut?: OptOut;
    };

export interface FailoverInput {
  providers: ProviderRegistry;
  /** The channel's providers, in order; unknown ids are passed over. */
  order: Provider[];
  /** The message, less the provider (filled in per attempt). */
  message: Omit<OutboundMessage, 'provider'>;
  clock: () => number;
  /** Keep providers' error responses in the attempt log (not when payloads are redacted). */
  keepResponses: boolean;
  /**
   * Aborted when the process stops and its drain time is up: no further attempt or backoff is started, and
   * the abort error unwinds the job's transaction (the job is retried elsewhere).
   */
  signal?: AbortSignal;
}

async function attempt(input: FailoverInput, provider: Provider): Promise<{ result: DeliveryResult; adapter: string }> {
  const adapter = input.providers.get(provider);
  const started = performance.now();
  let result: DeliveryResult;
  try {
    result = await adapter.send({ ...input.message, provider });
  } catch (error) {
    // Adapters report expected failures as results; an exception is a surprise, treated as transient.
    result = { ok: false, retryable: true, error: error instanceof Error ? error.message : String(error) };
  }
  // A rate limit that says when to come back is the provider working as documented, not failing: it must
  // not open the breaker (which would skip a healthy provider for its whole cool-down).
  const politeLimit = !result.ok && result.retryAfterMs !== undefined;
  if (!politeLimit) input.providers.health.record(provider.id, { ok: result.ok, latencyMs: performance.now() - started, now: input.clock() });
  return { result, adapter: adapter.kind };
}

export async function sendWithFailover(input: FailoverInput): Promise<FailoverOutcome> {
  const attempts: JsonValue[] = [];
  const invalidTokens: string[] = [];
  const at = () => new Date(input.clock()).toISOString();
  for (const provider of input.order) {
    if (!input.providers.health.allow(provider.id, input.clock())) {
      attempts.push({ status: 'attempt_skipped', at: at(), provider: provider.id, reason: 'circuit_open' });
      continue;
    }
    const policy = retryPolicyOf(provider);
    for (let n = 1; ; n++) {
      input.signal?.throwIfAborted();
      const { result, adapter } = await attempt(input, provider);
      if (result.invalidTokens) invalidTokens.push(...result.invalidTokens);
      if (result.ok) {
        return { ok: true, provider, adapter, providerMessageId: result.providerMessageId, response: result.response, invalidTokens, attempts };
      }
      attempts.push({
        status: 'attempt_failed',
        at: at(),
        provider: provider.id,
        attempt: n,
        error: result.error,
        retryable: result.retryable,
        ...(result.code === undefined ? {} : { code: result.code }),
        ...(result.retryAfterMs === undefined ? {} : { retryAfterMs: result.retryAfterMs }),
        ...(result.response === undefined || !input.keepResponses ? {} : { response: result.response }),
      });
      if (result.providerFault) break;
      if (!result.retryable) {
        return {
          ok: false,
          reason: 'permanent_error',
          code: result.code ?? null,
          invalidTokens,
          attempts,
          ...(result.optOut ? { optOut: result.optOut } : {}),
        };
      }
      const wait = nextDelay(policy, n, result.retryAfterMs);
      if (wait === null || !input.providers.health.allow(provider.id, input.clock())) break;
      await sleep(wait, undefined, input.signal ? { signal: input.signal } : {});
    }
  }
  return { ok: false, reason: input.order.length ? 'all_providers_failed' : 'no_provider', code: null, invalidTokens, attempts };
}
