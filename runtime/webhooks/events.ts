/**
 * The one shape every provider webhook is parsed into, so the runtime records delivery and engagement
 * without knowing which provider reported it. Parsing is pure: no clock (except where a provider sends no
 * time), no database, no HTTP.
 *
 * How provider events map onto `DeliveryEventKind`:
 *
 * | kind            | SendGrid event (Event Webhook)          | Twilio MessageStatus (status callback) |
 * |-----------------|-----------------------------------------|----------------------------------------|
 * | accepted        | processed                               | queued, accepted, sending              |
 * | sent            | —                                       | sent                                   |
 * | delivered       | delivered                               | delivered                              |
 * | deferred        | deferred                                | —                                      |
 * | bounced         | bounce (detail.type = bounce / blocked) | —                                      |
 * | failed          | —                                       | failed, canceled (detail.status says which) |
 * | undeliverable   | dropped                                 | undelivered                            |
 * | opened          | open                                    | read (WhatsApp / RCS read receipts)    |
 * | clicked         | click (detail.url)                      | —                                      |
 * | unsubscribed    | unsubscribe, group_unsubscribe (detail.asm_group_id) | — (inbound STOP is a keyword, see twilio.ts) |
 * | resubscribed    | group_resubscribe (detail.asm_group_id) | —                                      |
 * | spam_report     | spamreport                              | —                                      |
 *
 * `blocked` stays a bounce rather than `undeliverable` because the receiving server refused it (often
 * temporarily); whether it suppresses the address is the consumer's call, hence `detail.type`.
 */
import type { JsonValue } from '../../compiler/bundle/schema.ts';
import type { OptOut } from '../delivery/providers/types.ts';

export type WebhookProvider = 'sendgrid' | 'twilio';

export type DeliveryEventKind =
  | 'accepted'
  | 'sent'
  | 'delivered'
  | 'deferred'
  | 'bounced'
  | 'failed'
  | 'undeliverable'
  | 'opened'
  | 'clicked'
  | 'unsubscribed'
  | 'resubscribed'
  | 'spam_report';

export interface ProviderEvent {
  provider: WebhookProvider;
  /** Herald's message id, when the payload carries it (SendGrid custom arg `herald_message_id`). */
  messageId: string | null;
  /** The provider's own id for the message (SendGrid's `sg_message_id` without its suffix, Twilio's SID). */
  providerMessageId: string | null;
  kind: DeliveryEventKind;
  /** When the provider says it happened, in ms since the epoch. */
  at: number;
  /** Stable across the provider's retries of the same event: the runtime records each key once. */
  dedupeKey: string;
  /** Small, kind-specific facts: url, reason, error code, bounce type… */
  detail: Record<string, JsonValue>;
  /** The provider's event as received, kept for audit and debugging. */
  raw: JsonValue;
  /** The recipient opted out of a channel at the provider (a Twilio callback with error 21610). */
  optOut?: OptOut;
}

/**
 * Outcome of checking a webhook's signature. 401 when the request carries no credentials at all, 403 when
 * it carries some that do not prove it came from the provider (or we cannot check them).
 */
export type SignatureCheck = { ok: true } | { ok: false; status: 401 | 403; reason: string };
