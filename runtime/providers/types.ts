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
  /** The job's transaction: providers that write to Herald's own tables (in-app) use it. */
  tx: SqlClient;
}

export type DeliveryResult =
  | { ok: true; providerMessageId: string; response: JsonValue }
  | { ok: false; retryable: boolean; error: string; response?: JsonValue };

export interface DeliveryProvider {
  readonly kind: string;
  send(message: OutboundMessage): Promise<DeliveryResult>;
}
