/**
 * The webhook channel's adapter: the rendered `webhook.body` POSTed as JSON to the provider's URL, signed per
 * Standard Webhooks and sent through the outbound guard by runtime/outbound/signed-post.ts, which judges the
 * answer as it does for the lifecycle webhooks. `webhook-id` is Herald's message id, the same on every attempt of
 * one message, so a receiver drops the duplicates that retries may bring. A 2xx is delivery (there is no later
 * callback); a redirect (not followed), an answer past 64 KiB and a URL the guard refuses are permanent failures
 * of the provider's setup: the next provider of the channel may still serve the message.
 */
import { checkOutboundUrl, type OutboundPolicy, outboundPolicy } from '../../outbound/guard.ts';
import { postSignedJson } from '../../outbound/signed-post.ts';
import type { RenderedContent } from '../../render/index.ts';
import { createRedactor, httpFailure, permanentFailure, transportFailure } from './failure.ts';
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
      const result = await postSignedJson(config.url, config.secret, message.messageId, JSON.stringify(content.body), {
        timeoutMs,
        ...(config.policy ? { policy: config.policy } : {}),
      });
      if (result.ok) {
        const kept = answerBody(result.body);
        return {
          ok: true,
          providerMessageId: message.messageId,
          response: redactor.json({ status: result.status, ...(kept === undefined ? {} : { body: kept }) }),
        };
      }
      switch (result.problem) {
        case 'refused':
          return permanentFailure('webhook', 'outbound_refused', result.message, { providerFault: true });
        case 'too_large':
          return permanentFailure('webhook', 'answer_too_large', result.message, { providerFault: true });
        case 'redirect':
          return permanentFailure('webhook', String(result.status), result.message, { providerFault: true });
        case 'status':
          return httpFailure({ provider: 'webhook', status: result.status, headers: result.headers, body: answerBody(result.body) }, redactor);
        case 'transport':
          return transportFailure('webhook', result.error, redactor);
      }
    },
  };
}
