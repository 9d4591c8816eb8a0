/**
 * The one interface every delivery provider implements. Expected failures come back as results (with
 * whether a retry could help), never as exceptions: failover decides on them.
 */
import type { Channel, JsonValue, Provider } from '../../compiler/bundle/schema.ts';
import type { SqlClient } from '../db/sql-client.ts';
import type { RenderedContent } from '../render/render.ts';

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
  /** The job's transaction: providers that write to Herald's own tables (in-app) use it. */
  tx: SqlClient;
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
    };

export interface DeliveryProvider {
  readonly kind: string;
  send(message: OutboundMessage): Promise<DeliveryResult>;
}
