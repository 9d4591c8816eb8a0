/**
 * One delivery attempt to a webhook endpoint: the event as the body of a POST signed per Standard Webhooks
 * (runtime/outbound/sign.ts), sent through the outbound guard (runtime/outbound/fetch.ts: no private or
 * link-local hosts unless HERALD_OUTBOUND_ALLOW says so; no redirects followed). `webhook-id` is the event's id,
 * the same on every attempt and every replay, so a receiver drops what it already has.
 */
import { outboundFetch } from '../outbound/fetch.ts';
import { OutboundRefusedError } from '../outbound/guard.ts';
import { signWebhook } from '../outbound/sign.ts';
import type { OutboundEvent } from './event-types.ts';

export interface AttemptResult {
  ok: boolean;
  /** Another attempt cannot succeed (a URL the guard refuses, 410 Gone): dead-lettered at once. */
  permanent: boolean;
  statusCode: number | null;
  error: string | null;
}

export async function postEvent(url: string, secret: string, event: OutboundEvent, timeoutMs: number): Promise<AttemptResult> {
  const body = JSON.stringify({ type: event.type, timestamp: event.timestamp, data: event.data });
  try {
    const response = await outboundFetch(
      url,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'Herald-Webhooks/1', ...signWebhook(secret, event.id, new Date(), body) },
        body,
      },
      { timeoutMs, redirect: 'manual', maxBytes: 64 * 1024 },
    );
    const ok = response.status >= 200 && response.status < 300;
    return { ok, permanent: response.status === 410, statusCode: response.status, error: ok ? null : `HTTP ${response.status}` };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, permanent: error instanceof OutboundRefusedError, statusCode: null, error: message.slice(0, 500) };
  }
}
