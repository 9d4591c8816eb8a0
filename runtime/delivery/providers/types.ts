/**
 * The one interface every delivery provider implements. Expected failures come back as results (with
 * whether a retry could help), never as exceptions: failover decides on them. Adapters are leaves: what they
 * learn about the recipient (dead push tokens, an opt-out) comes back in the result for the delivery code to
 * act on, and the one adapter that stores rather than sends (in-app) gets a port, never the database.
 */
import type { Channel, JsonValue, Provider } from '../../../compiler/bundle/schema.ts';
import type { RenderedContent } from '../../render/index.ts';

export interface Recipient {
  userId: string | null;
  email?: string | null;
  phone_number?: string | null;
  push_tokens?: string[];
}

export interface OutboundMessage {
  messageId: string;
  runId: string;
  channel: Channel;
  provider: Provider;
  to: Recipient;
  content: RenderedContent;
  /** Extra email headers (List-Unsubscribe and List-Unsubscribe-Post for non-required categories). */
  headers?: Record<string, string>;
  /** Where the provider posts delivery status callbacks for this message (Twilio's StatusCallback). */
  statusCallbackUrl?: string;
  /**
   * Herald's own inbox, where in-app messages go: the delivery code always gives it; the other adapters never
   * touch it (and callers that drive only them, such as the provider bench, may leave it out).
   */
  inbox?: InboxPort;
}

/** An in-app message as the end user's inbox keeps it. */
export interface InboxItem {
  userId: string;
  messageId: string;
  title: string;
  body: string;
  actionUrl: string | null;
}

/**
 * The in-app adapter's one way into Herald's storage. The delivery code builds it on the job's transaction,
 * so an item is written exactly when its message is logged (in-app delivery is exactly-once).
 */
export interface InboxPort {
  /** Stores the message's item and returns the item's id; a message stored before keeps its item and id. */
  store(item: InboxItem): Promise<string>;
}

/**
 * The recipient has opted out of a channel at the provider (Twilio's 21610: they replied STOP to the
 * sender). Herald keeps a channel-wide opt-out for SMS only, hence the one channel.
 */
export interface OptOut {
  channel: Extract<Channel, 'sms'>;
}

/** "Attempt to send to unsubscribed recipient": they replied STOP to this sender, an opt-out of SMS. */
const TWILIO_UNSUBSCRIBED_RECIPIENT = '21610';

/** The opt-out a Twilio error code means, if any: the adapter's send failures and status callbacks both ask. */
export function twilioOptOut(errorCode: string | number | undefined): OptOut | undefined {
  return String(errorCode) === TWILIO_UNSUBSCRIBED_RECIPIENT ? { channel: 'sms' } : undefined;
}

export type DeliveryResult =
  | {
      ok: true;
      providerMessageId: string;
      response: JsonValue;
      /** Push tokens the provider reported as no longer valid: the runtime removes them from the profile. */
      invalidTokens?: string[];
    }
  | {
      ok: false;
      /** true for 429, 5xx, timeouts and connection errors; false for permanent errors (never retried). */
      retryable: boolean;
      /**
       * The fault lies with this provider's account or setup (refused credentials, no sender), not with the
       * message: not retried, but the next provider of the channel may still deliver it.
       */
      providerFault?: boolean;
      error: string;
      /** The provider's own error code (HTTP status, Twilio's 21610, FCM's messaging/registration-token-not-registered…). */
      code?: string;
      /** The provider's hint (Retry-After, rate-limit reset), in milliseconds. */
      retryAfterMs?: number;
      response?: JsonValue;
      invalidTokens?: string[];
      /** Set when the refusal is the recipient's opt-out: the delivery code records it on the profile. */
      optOut?: OptOut;
    };

/** Whether the provider accepts the credentials, from a harmless authenticated call (`herald doctor`). */
export type CredentialCheck = { ok: true; detail: string } | { ok: false; why: string };

export interface DeliveryProvider {
  readonly kind: string;
  send(message: OutboundMessage): Promise<DeliveryResult>;
  /** Asks the provider whether it accepts the credentials, sending nothing (absent: nothing to check). */
  verify?(): Promise<CredentialCheck>;
}
