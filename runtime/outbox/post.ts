/**
 * One delivery attempt to a webhook endpoint: the event as the body of a POST signed per Standard Webhooks,
 * sent and judged by runtime/outbound/signed-post.ts as the webhook channel's are (the outbound guard: no private
 * or link-local hosts unless HERALD_OUTBOUND_ALLOW says so; no redirects followed). `webhook-id` is the event's
 * id, the same on every attempt and every replay, so a receiver drops what it already has.
 */
import type { OutboundPolicy } from '../outbound/guard.ts';
import { postSignedJson } from '../outbound/signed-post.ts';
import type { OutboundEvent } from './event-types.ts';

export interface AttemptResult {
  ok: boolean;
  /**
   * Another attempt cannot succeed: dead-lettered at once. A URL the guard refuses, a redirect, an answer past
   * 64 KiB (the endpoint got the event), 410 Gone; any other status is retried.
   */
  permanent: boolean;
  statusCode: number | null;
  error: string | null;
  /** The endpoint's Retry-After (on 408, 429, 5xx), in ms. */
  retryAfterMs?: number;
}

export async function postEvent(
  url: string,
  secret: string,
  event: OutboundEvent,
  timeoutMs: number,
  /** The outbound guard's policy (default: from the environment). */
  policy?: OutboundPolicy,
): Promise<AttemptResult> {
  const body = JSON.stringify({ type: event.type, timestamp: event.timestamp, data: event.data });
  const result = await postSignedJson(url, secret, event.id, body, { timeoutMs, ...(policy ? { policy } : {}) });
  if (result.ok) return { ok: true, permanent: false, statusCode: result.status, error: null };
  if (result.problem !== 'status') {
    return { ok: false, permanent: result.permanent, statusCode: result.permanent ? result.status : null, error: result.message.slice(0, 500) };
  }
  return {
    ok: false,
    permanent: result.status === 410,
    statusCode: result.status,
    error: result.message,
    ...(result.retryAfterMs === undefined ? {} : { retryAfterMs: result.retryAfterMs }),
  };
}
