/**
 * `postSignedJson`: one signed JSON POST to a URL a team chose, as the webhook channel
 * (delivery/providers/webhook.ts) and the lifecycle webhooks (outbox/post.ts) both send it: Standard Webhooks
 * headers (sign.ts) with `id` as `webhook-id`, through the outbound guard (fetch.ts), no redirect followed. What
 * came of it is judged here, once, for both:
 * - a 2xx is delivered;
 * - a URL the guard refuses, a 3xx (a signed POST is meant for one URL) and an answer past the size limit (the
 *   receiver got the message and answered at length: sending it again would not help) are permanent;
 * - another status is an error status, retryable as a provider's is (compiler/bundle/http-retry.ts), with the
 *   receiver's Retry-After in ms;
 * - anything else (a timeout, a connection error, DNS) is a transport error, for the caller to retry.
 */
import { retryAfterMs, TOO_LARGE_CODE } from '../delivery/providers/failure.ts';
import { isRetryableStatus } from '../../compiler/bundle/http-retry.ts';
import { outboundFetch } from './fetch.ts';
import { type OutboundPolicy, OutboundRefusedError } from './guard.ts';
import { signWebhook } from './sign.ts';

/** The longest answer read: a receiver acknowledges, it does not send documents back. */
const MAX_ANSWER_BYTES = 64 * 1024;

export type SignedPostResult =
  | { ok: true; status: number; body: string }
  /** Another attempt would end the same way: the URL or the receiver's setup must change. */
  | { ok: false; problem: 'refused' | 'redirect' | 'too_large'; permanent: true; status: number | null; message: string }
  | {
      ok: false;
      problem: 'status';
      permanent: false;
      retryable: boolean;
      status: number;
      headers: Headers;
      body: string;
      retryAfterMs?: number;
      message: string;
    }
  /** No answer: `error` as thrown (a timeout, a connection error), for the caller to describe. */
  | { ok: false; problem: 'transport'; permanent: false; error: unknown; message: string };

/**
 * POSTs `body` (JSON text) to `url`, signed with `secret` under `id`. Never throws: every failure is a result.
 *
 * @example const result = await postSignedJson(url, 'whsec_…', event.id, JSON.stringify(event), { timeoutMs: 10_000 });
 */
export async function postSignedJson(
  url: string,
  secret: string,
  id: string,
  body: string,
  options: { timeoutMs: number; policy?: OutboundPolicy },
): Promise<SignedPostResult> {
  const headers = { 'content-type': 'application/json', 'user-agent': 'Herald-Webhooks/1', ...signWebhook(secret, id, new Date(), body) };
  let response: Response;
  let text: string;
  try {
    response = await outboundFetch(
      url,
      { method: 'POST', headers, body },
      { timeoutMs: options.timeoutMs, redirect: 'manual', maxBytes: MAX_ANSWER_BYTES, ...(options.policy ? { policy: options.policy } : {}) },
    );
    text = await response.text();
  } catch (error) {
    if (error instanceof OutboundRefusedError) return { ok: false, problem: 'refused', permanent: true, status: null, message: error.message };
    if ((error as { code?: unknown }).code === TOO_LARGE_CODE) {
      const message = `the receiver answered more than ${MAX_ANSWER_BYTES} bytes: answer a webhook with a short body (or none)`;
      return { ok: false, problem: 'too_large', permanent: true, status: null, message };
    }
    return { ok: false, problem: 'transport', permanent: false, error, message: error instanceof Error ? error.message : String(error) };
  }
  const { status } = response;
  if (status >= 200 && status < 300) return { ok: true, status, body: text };
  if (status >= 300 && status < 400) {
    const where = response.headers.get('location');
    const message = `answered HTTP ${status}${where ? ` to ${where}` : ''}: webhooks are not redirected; set the URL to the final address`;
    return { ok: false, problem: 'redirect', permanent: true, status, message };
  }
  const retryable = isRetryableStatus(status);
  const wait = retryable ? retryAfterMs(response.headers) : undefined;
  return {
    ok: false,
    problem: 'status',
    permanent: false,
    retryable,
    status,
    headers: response.headers,
    body: text,
    ...(wait === undefined ? {} : { retryAfterMs: wait }),
    message: `HTTP ${status}`,
  };
}
