/**
 * SendGrid's Signed Event Webhook: verification and parsing of the JSON array of events it posts.
 *
 * SendGrid signs `timestamp + body` with ECDSA P-256 / SHA-256. The signature covers the exact bytes on
 * the wire, so verification must run on the raw body before anything parses or re-serialises it.
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import type { JsonValue } from '../../compiler/bundle/schema.ts';
import type { DeliveryEventKind, ProviderEvent, SignatureCheck } from './events.ts';

export const SENDGRID_SIGNATURE_HEADER = 'x-twilio-email-event-webhook-signature';
export const SENDGRID_TIMESTAMP_HEADER = 'x-twilio-email-event-webhook-timestamp';

export interface SendgridSignatureInput {
  /** The verification key from SendGrid's settings: base64 DER SubjectPublicKeyInfo (`SENDGRID_WEBHOOK_PUBLIC_KEY`). */
  publicKey: string;
  /** `X-Twilio-Email-Event-Webhook-Signature`: base64 DER ECDSA signature. */
  signature: string | null | undefined;
  /** `X-Twilio-Email-Event-Webhook-Timestamp`: unix seconds, as a string. */
  timestamp: string | null | undefined;
  rawBody: Buffer;
  now: number;
  /** How far the signed timestamp may be from `now`, either way; bounds how long a captured request can be replayed. */
  toleranceMs?: number;
}

export function verifySendgridSignature(input: SendgridSignatureInput): SignatureCheck {
  const { signature, timestamp, rawBody, now, toleranceMs = 300_000 } = input;
  if (!signature || !timestamp) return { ok: false, status: 401, reason: 'missing SendGrid signature or timestamp header' };

  const key = parsePublicKey(input.publicKey);
  if (!key) return { ok: false, status: 403, reason: 'the SendGrid verification key is not a base64 P-256 public key' };

  // The header is the exact string that was signed, so it is checked as text and signed as text.
  if (!/^\d{1,15}$/.test(timestamp)) return { ok: false, status: 403, reason: 'malformed SendGrid timestamp' };
  const skew = Math.abs(now - Number(timestamp) * 1000);
  if (skew > toleranceMs) return { ok: false, status: 403, reason: `SendGrid timestamp is ${Math.round(skew / 1000)}s away from now` };

  let valid = false;
  try {
    valid = verify('sha256', Buffer.concat([Buffer.from(timestamp, 'utf8'), rawBody]), { key, dsaEncoding: 'der' }, Buffer.from(signature, 'base64'));
  } catch {
    valid = false; // a signature that is not DER at all is simply not a valid one
  }
  return valid ? { ok: true } : { ok: false, status: 403, reason: 'SendGrid signature does not match' };
}

/** Accepts the key as SendGrid shows it (bare base64), and tolerates a pasted PEM block. */
function parsePublicKey(publicKey: string): KeyObject | null {
  const base64 = publicKey.replace(/-----(BEGIN|END) PUBLIC KEY-----/g, '').replace(/\s+/g, '');
  if (!base64) return null;
  try {
    const key = createPublicKey({ key: Buffer.from(base64, 'base64'), format: 'der', type: 'spki' });
    // Any other key type would be a misconfiguration that could only ever fail (or, worse, mean another scheme).
    return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1' ? key : null;
  } catch {
    return null;
  }
}

/**
 * The fields Herald relies on; everything else SendGrid sends is kept in `raw`. Only the id, type and time
 * are required: without them an event can be neither deduplicated, classified nor ordered.
 */
const sendgridEventSchema = z.looseObject({
  sg_event_id: z.string({ error: 'missing sg_event_id' }).min(1, 'missing sg_event_id'),
  event: z.string({ error: 'missing event type' }),
  timestamp: z.number({ error: 'missing or non-numeric timestamp' }).nonnegative(),
});

const KINDS: Record<string, DeliveryEventKind> = {
  processed: 'accepted',
  delivered: 'delivered',
  deferred: 'deferred',
  bounce: 'bounced',
  dropped: 'undeliverable',
  open: 'opened',
  click: 'clicked',
  spamreport: 'spam_report',
  unsubscribe: 'unsubscribed',
  group_unsubscribe: 'unsubscribed',
  group_resubscribe: 'resubscribed',
};

/** Copied into `detail` when present: what consumers act on (suppression, click tracking, diagnostics). */
const DETAIL_FIELDS = ['reason', 'status', 'type', 'url', 'asm_group_id', 'bounce_classification', 'attempt', 'response', 'sg_machine_open'] as const;

export interface SendgridParseResult {
  events: ProviderEvent[];
  /** Events that could not be understood, by position in the posted array; the rest of the batch still counts. */
  rejected: { index: number; reason: string }[];
}

/**
 * Parses a (verified) Event Webhook body. A body that is not a JSON array throws: nothing in it can be
 * trusted. A single bad or unknown event is rejected on its own, because SendGrid retries a whole batch
 * on failure and one new event type must not make it redeliver (and us re-record) all the others.
 */
export function parseSendgridEvents(rawBody: Buffer): SendgridParseResult {
  let body: unknown;
  try {
    body = JSON.parse(rawBody.toString('utf8'));
  } catch (error) {
    throw new Error(`SendGrid webhook body is not JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(body)) throw new Error('SendGrid webhook body must be a JSON array of events');

  const result: SendgridParseResult = { events: [], rejected: [] };
  body.forEach((item: unknown, index) => {
    const parsed = sendgridEventSchema.safeParse(item);
    if (!parsed.success) {
      result.rejected.push({ index, reason: parsed.error.issues.map((issue) => issue.message).join('; ') });
      return;
    }
    const event = parsed.data;
    const kind = Object.hasOwn(KINDS, event.event) ? KINDS[event.event] : undefined;
    if (!kind) {
      result.rejected.push({ index, reason: `unknown SendGrid event type "${event.event}"` });
      return;
    }
    result.events.push({
      provider: 'sendgrid',
      messageId: nonEmptyString(event.herald_message_id),
      // SendGrid appends a per-recipient suffix ("<id>.filter…"); the part before it is what the send API returned.
      providerMessageId: nonEmptyString(event.sg_message_id)?.split('.')[0] ?? null,
      kind,
      at: Math.round(event.timestamp * 1000),
      dedupeKey: `sendgrid:${event.sg_event_id}`,
      detail: detailOf(event),
      raw: item as JsonValue, // it came out of JSON.parse
    });
  });
  return result;
}

function detailOf(event: Record<string, unknown>): Record<string, JsonValue> {
  const detail: Record<string, JsonValue> = {};
  for (const field of DETAIL_FIELDS) {
    const value = event[field];
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') detail[field] = value;
  }
  const runId = nonEmptyString(event.herald_run_id);
  if (runId) detail.runId = runId;
  return detail;
}

function nonEmptyString(value: unknown): string | null {
  return typeof value === 'string' && value.length > 0 ? value : null;
}
