/**
 * The webhook channel's adapter: the rendered `webhook.body` POSTed as JSON to the provider's URL, signed per
 * Standard Webhooks (runtime/outbound/sign.ts) and sent through the outbound guard (runtime/outbound/fetch.ts).
 * `webhook-id` is Herald's message id, the same on every attempt of one message, so a receiver drops the
 * duplicates that retries may bring. A 2xx is delivery (there is no later callback); redirects are not followed
 * (a signed POST is meant for one URL) and count as a permanent failure of the provider's setup, as does a URL
 * the guard refuses: the next provider of the channel may still serve the message.
 */
import type { OutboundPolicy } from '../../outbound/guard.ts';
import { checkOutboundUrl, OutboundRefusedError, outboundPolicy } from '../../outbound/guard.ts';
import { outboundFetch } from '../../outbound/fetch.ts';
import { signWebhook } from '../../outbound/sign.ts';
import type { RenderedContent } from '../../render/index.ts';
import { createRedactor, httpFailure, permanentFailure, TOO_LARGE_CODE, transportFailure } from './failure.ts';
import type { DeliveryProvider, DeliveryResult, OutboundMessage } from './types.ts';

export interface WebhookProviderConfig {
  url: string;
  /** `whsec_` + base64 (Standard Webhooks); checked by the registry before the adapter is built. */
  secret: string;
  timeoutMs?: number;
  /** The outbound guard's policy (default: from the environment). */
  policy?: OutboundPolicy;
}

const DEFAULT_TIMEOUT_MS = 10_000;
/** What is kept of a receiver's answer in the message log (per attempt): a short answer whole, a long one cut. */
const MAX_KEPT_BODY = 2000;
/** The longest answer read: a receiver acknowledges, it does not send documents back. */
export const WEBHOOK_MAX_ANSWER_BYTES = 64 * 1024;

function answerBody(text: string): unknown {
  if (!text) return undefined;
  // Cut before parsing: a long JSON answer is kept as its first characters, never whole.
  if (text.length > MAX_KEPT_BODY) return `${text.slice(0, MAX_KEPT_BODY)}…`;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function createWebhookProvider(config: WebhookProviderConfig): DeliveryProvider {
  const redactor = createRedactor([config.secret]);
  const timeoutMs = config.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return {
    kind: 'webhook',
    /** `herald doctor`: the URL passes the outbound guard (its host resolved and checked); nothing is sent. */
    async verify() {
      try {
        const { url, addresses } = await checkOutboundUrl(config.url, config.policy ?? outboundPolicy());
        return { ok: true, detail: `${url.origin} (${addresses.join(', ')}) passes the outbound guard; nothing sent` };
      } catch (error) {
        return { ok: false, why: error instanceof Error ? error.message : String(error) };
      }
    },
    async send(message: OutboundMessage): Promise<DeliveryResult> {
      const content = message.content as Partial<RenderedContent<'webhook'>>;
      if (content.body === undefined) return permanentFailure('webhook', 'no_content', 'the message has no webhook body');
      const body = JSON.stringify(content.body);
      const headers = {
        'content-type': 'application/json',
        'user-agent': 'Herald-Webhooks',
        ...signWebhook(config.secret, message.messageId, new Date(), body),
      };
      let response: Response;
      let text: string;
      try {
        response = await outboundFetch(
          config.url,
          { method: 'POST', headers, body },
          { timeoutMs, redirect: 'manual', maxBytes: WEBHOOK_MAX_ANSWER_BYTES, ...(config.policy ? { policy: config.policy } : {}) },
        );
        text = await response.text();
      } catch (error) {
        if (error instanceof OutboundRefusedError) return permanentFailure('webhook', 'outbound_refused', error.message, { providerFault: true });
        // The receiver got the message and answered at length: sending it again would not help (nor be wanted).
        if ((error as { code?: unknown }).code === TOO_LARGE_CODE) {
          return permanentFailure(
            'webhook',
            'answer_too_large',
            `the receiver answered more than ${WEBHOOK_MAX_ANSWER_BYTES} bytes: answer a webhook with a short body (or none)`,
            {
              providerFault: true,
            },
          );
        }
        return transportFailure('webhook', error, redactor);
      }
      if (response.status >= 200 && response.status < 300) {
        const kept = answerBody(text);
        return {
          ok: true,
          providerMessageId: message.messageId,
          response: redactor.json({ status: response.status, ...(kept === undefined ? {} : { body: kept }) }),
        };
      }
      if (response.status >= 300 && response.status < 400) {
        const where = response.headers.get('location');
        return permanentFailure(
          'webhook',
          String(response.status),
          `answered HTTP ${response.status}${where ? ` to ${where}` : ''}: webhooks are not redirected; set the provider's URL to the final address`,
          {
            providerFault: true,
          },
        );
      }
      return httpFailure({ provider: 'webhook', status: response.status, headers: response.headers, body: answerBody(text) }, redactor);
    },
  };
}
