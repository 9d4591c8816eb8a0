/**
 * Inbox user tokens: what the customer's backend hands its signed-in user so the browser may read that
 * user's inbox, and nobody else's.
 *
 *   token   = base64url(payload) "." base64url(HMAC-SHA256(HERALD_INBOX_SECRET, base64url(payload)))
 *   payload = UTF-8 JSON {"userId": "<id>", "exp": <seconds since the epoch>[, "tenant": "<tenant id>"]}
 *
 * The MAC covers the encoded payload exactly as sent, so verifying never depends on how a JSON encoder
 * orders keys or spaces. `exp` is in seconds (the JWT convention), so any language signs it in one line.
 * The payload must have exactly these two keys, and may have a third, `tenant` (runtime/tenants: the token then
 * reads that tenant's items only, and one without it the items sent without a tenant only): a token signed for
 * something else with the same secret (say an unsubscribe link, should an operator reuse the secret) never
 * passes as an inbox token.
 *
 * Dependency-free on purpose (node:crypto only): customers import it, or copy it into their backend.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface InboxTokenClaim {
  userId: string;
  /** Expiry, seconds since the epoch. */
  exp: number;
  /** The tenant whose inbox the token reads (its items only); absent: the items sent without a tenant. */
  tenant?: string;
}

/**
 * Longer-lived tokens are refused, when signed and on every request: a leaked token (they travel in URLs,
 * for EventSource) must die soon, whoever signed it.
 */
export const MAX_INBOX_TOKEN_TTL_SECONDS = 7 * 86_400;
/**
 * How far a signer's clock may run ahead of ours: a token signed for the full 7 days by a backend whose
 * clock is a few seconds fast is still accepted.
 */
export const CLOCK_SKEW_SECONDS = 60;

const mac = (secret: string, payload: string) => createHmac('sha256', secret).update(payload).digest('base64url');

/**
 * A token that lets the holder read `userId`'s inbox for `ttlSeconds` (default one hour).
 *
 * @example
 * // In the customer's backend, after its own sign-in check:
 * const token = signInboxToken(process.env.HERALD_INBOX_SECRET!, user.id, 3600);
 * // → render <herald-inbox token="${token}"> or return it from an API the page calls
 */
export function signInboxToken(secret: string, userId: string, ttlSeconds = 3600, nowMs = Date.now(), tenant?: string): string {
  if (!secret) throw new Error('signInboxToken: the secret is empty (HERALD_INBOX_SECRET)');
  if (!userId) throw new Error('signInboxToken: the user id is empty');
  if (!(ttlSeconds > 0) || ttlSeconds > MAX_INBOX_TOKEN_TTL_SECONDS) {
    throw new Error(`signInboxToken: ttlSeconds must be from 1 to ${MAX_INBOX_TOKEN_TTL_SECONDS}`);
  }
  if (tenant === '') throw new Error('signInboxToken: the tenant is empty (leave it out for no tenant)');
  const claim: InboxTokenClaim = { userId, exp: Math.floor(nowMs / 1000) + Math.ceil(ttlSeconds), ...(tenant === undefined ? {} : { tenant }) };
  const payload = Buffer.from(JSON.stringify(claim)).toString('base64url');
  return `${payload}.${mac(secret, payload)}`;
}

export const TOO_LONG_LIVED = 'token lives too long: its exp is more than 7 days ahead (sign inbox tokens for at most 7 days)';

export type InboxTokenResult =
  | { ok: true; claim: InboxTokenClaim }
  | { ok: false; reason: 'malformed token' | 'invalid signature' | 'expired token' | typeof TOO_LONG_LIVED };

export function verifyInboxToken(secret: string, token: string, nowMs = Date.now()): InboxTokenResult {
  const [payload, signature, ...rest] = token.split('.');
  if (!payload || !signature || rest.length) return { ok: false, reason: 'malformed token' };
  // Compared in constant time, and before the payload is parsed: nothing unsigned is ever interpreted.
  const expected = Buffer.from(mac(secret, payload));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { ok: false, reason: 'invalid signature' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'malformed token' };
  }
  if (!isClaim(parsed)) return { ok: false, reason: 'malformed token' };
  if (parsed.exp * 1000 <= nowMs) return { ok: false, reason: 'expired token' };
  // Checked here, not only in signInboxToken: tokens are also signed by customers' own code, in any language.
  if (parsed.exp * 1000 > nowMs + (MAX_INBOX_TOKEN_TTL_SECONDS + CLOCK_SKEW_SECONDS) * 1000) return { ok: false, reason: TOO_LONG_LIVED };
  return { ok: true, claim: { userId: parsed.userId, exp: parsed.exp, ...(parsed.tenant === undefined ? {} : { tenant: parsed.tenant }) } };
}

function isClaim(value: unknown): value is InboxTokenClaim {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const keys = Object.keys(value).sort().join(',');
  if (keys !== 'exp,userId' && keys !== 'exp,tenant,userId') return false;
  const { userId, exp, tenant } = value as Record<string, unknown>;
  if (tenant !== undefined && (typeof tenant !== 'string' || tenant.length === 0)) return false;
  return typeof userId === 'string' && userId.length > 0 && typeof exp === 'number' && Number.isSafeInteger(exp);
}
