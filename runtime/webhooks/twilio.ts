/**
 * Twilio's SMS webhooks: status callbacks for messages Herald sent, and inbound messages (opt-out keywords).
 *
 * Twilio signs the public URL it called plus the form parameters, so verification needs the URL exactly as
 * configured (behind a proxy the server's own view of it differs) and the decoded form fields.
 */
import twilio from 'twilio';
import { twilioOptOut } from '../delivery/providers/types.ts';
import type { DeliveryEventKind, ProviderEvent, SignatureCheck } from './events.ts';

export const TWILIO_SIGNATURE_HEADER = 'x-twilio-signature';

export interface TwilioSignatureInput {
  authToken: string;
  /** `X-Twilio-Signature`: base64 HMAC-SHA1. */
  signature: string | null | undefined;
  /** The full public URL Twilio posted to, query string included. */
  url: string;
  /** The decoded `application/x-www-form-urlencoded` body. */
  params: Record<string, string>;
}

export function verifyTwilioSignature(input: TwilioSignatureInput): SignatureCheck {
  if (!input.signature) return { ok: false, status: 401, reason: 'missing X-Twilio-Signature header' };
  // An empty token is an HMAC key anyone knows: refuse rather than "verify" with it.
  if (!input.authToken) return { ok: false, status: 403, reason: 'no Twilio auth token is configured to verify with' };
  let valid = false;
  try {
    // validateRequest also tries the URL with and without its default port, as Twilio's own libraries do.
    valid = twilio.validateRequest(input.authToken, input.signature, input.url, input.params);
  } catch {
    valid = false; // it throws on a URL it cannot parse, which no signature can match
  }
  return valid ? { ok: true } : { ok: false, status: 403, reason: 'Twilio signature does not match' };
}

const KINDS: Record<string, DeliveryEventKind> = {
  queued: 'accepted',
  accepted: 'accepted',
  sending: 'accepted',
  sent: 'sent',
  delivered: 'delivered',
  undelivered: 'undeliverable',
  failed: 'failed',
  read: 'opened',
  canceled: 'failed',
};

export interface TwilioStatusOptions {
  /** Status callbacks carry no event time, so the time of receipt stands in. */
  now?: number;
  /** Herald's message id, when the route knows it (e.g. from the status callback URL); Twilio does not echo it. */
  messageId?: string | null;
}

/** Parses a (verified) status callback. Throws when it is not one: no SID or a status we do not know. */
export function parseTwilioStatus(params: Record<string, string>, options: TwilioStatusOptions = {}): ProviderEvent {
  const sid = params.MessageSid || params.SmsSid;
  if (!sid) throw new Error('Twilio status callback has no MessageSid');
  const status = params.MessageStatus || params.SmsStatus;
  if (!status) throw new Error(`Twilio status callback for ${sid} has no MessageStatus`);
  const kind = Object.hasOwn(KINDS, status) ? KINDS[status] : undefined;
  if (!kind) throw new Error(`unknown Twilio MessageStatus "${status}" for ${sid}`);

  // `status` is kept because several statuses share a kind (queued/sending, failed/canceled).
  const detail: Record<string, string> = { status };
  if (params.ErrorCode) detail.errorCode = params.ErrorCode;
  const optOut = twilioOptOut(params.ErrorCode);
  return {
    provider: 'twilio',
    messageId: options.messageId ?? null,
    providerMessageId: sid,
    kind,
    at: options.now ?? Date.now(),
    // Twilio sends each status of a message once (and retries the same one): SID + status identifies it.
    dedupeKey: `twilio:${sid}:${status}`,
    detail,
    raw: { ...params },
    ...(optOut ? { optOut } : {}),
  };
}

export type InboundKeyword = 'stop' | 'start' | 'help';

/** Twilio's default opt-out keywords, which it also enforces itself on the sending number. */
const KEYWORDS: ReadonlyMap<string, InboundKeyword> = new Map([
  ...['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'OPTOUT', 'REVOKE'].map((k) => [k, 'stop'] as const),
  ...['START', 'YES', 'UNSTOP'].map((k) => [k, 'start'] as const),
  ...['HELP', 'INFO'].map((k) => [k, 'help'] as const),
]);

/**
 * The keyword an inbound SMS consists of, if any. Like Twilio, only a body that is exactly the keyword
 * counts, so "Stop please" or "end of story" is an ordinary message, not an opt-out.
 */
export function parseInboundKeyword(body: string): InboundKeyword | null {
  return KEYWORDS.get(body.trim().toUpperCase()) ?? null;
}

/** A minimal TwiML reply: empty (Twilio sends nothing back) or a single message. */
export function twiml(message?: string): string {
  const head = '<?xml version="1.0" encoding="UTF-8"?>';
  if (!message) return `${head}<Response></Response>`;
  return `${head}<Response><Message>${escapeXml(message)}</Message></Response>`;
}

function escapeXml(text: string): string {
  return (
    text
      // Control characters are not allowed in XML 1.0 at all, escaped or not; Twilio would reject the document.
      .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/'/g, '&apos;')
  );
}
