/**
 * Signed links the runtime hands out in messages (one-click unsubscribe, the preference center):
 * `<payload>.<signature>`, both base64url, the signature an HMAC-SHA256 of the payload with the runtime's
 * signing secret. A link names exactly what it may change and until when; nothing else is trusted. Every
 * payload carries its `kind`, so a link of one kind never passes for another (an unsubscribe link does not
 * open the preference center, nor the reverse).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { channelSchema } from '../../compiler/bundle/schema.ts';

const unsubscribeClaim = z.object({
  kind: z.literal('unsubscribe'),
  /** User, category and channel the link opts out. */
  userId: z.string(),
  category: z.string(),
  channel: channelSchema,
  /** The message the link came in (its log records the unsubscribe). */
  messageId: z.string().nullable(),
  /** Expiry, ms since the epoch. */
  exp: z.number(),
});
export type UnsubscribeClaim = z.infer<typeof unsubscribeClaim>;

const preferencesClaim = z.object({
  kind: z.literal('preferences'),
  /** Whose preferences the link shows and changes (every category, every channel). */
  userId: z.string(),
  /**
   * The tenant of the message the link came in (runtime/tenants): the page starts from its defaults. Signed with
   * the rest, so editing the URL cannot switch tenants; absent in links of untenanted messages and in older links.
   */
  tenant: z.string().optional(),
  /** Expiry, ms since the epoch. */
  exp: z.number(),
});
export type PreferencesClaim = z.infer<typeof preferencesClaim>;

/** How long an unsubscribe link keeps working: mail is read late, and RFC 8058 links must still work then. */
export const UNSUBSCRIBE_LINK_TTL_MS = 180 * 86_400_000;

/**
 * How long a preference-center link keeps working. Shorter than an unsubscribe link because it grants more
 * (every category and channel, opting in as well as out) to whoever holds a forwarded or leaked message.
 * Thirty days covers reading a message late; every new message carries a fresh link, and an unsubscribe
 * link (180 days) still leads to a freshly signed one.
 */
export const PREFERENCES_LINK_TTL_MS = 30 * 86_400_000;

/**
 * The preference link an unsubscribe hands on to the person who just used it: long enough to look at their
 * other choices now, no longer. An unsubscribe link lives 180 days; were it to mint a 30-day preference
 * link on every use, whoever holds a forwarded email would hold the whole preference center for as long.
 */
export const HANDED_ON_PREFERENCES_TTL_MS = 60 * 60 * 1000;

export type Verified<Claim> = { ok: true; claim: Claim } | { ok: false; reason: string };

export interface LinkSigner {
  unsubscribe(claim: Omit<UnsubscribeClaim, 'kind' | 'exp'>, now: number): string;
  verifyUnsubscribe(token: string, now: number): Verified<UnsubscribeClaim>;
  /**
   * The token of the user's preference center, valid `ttlMs` (default and at most PREFERENCES_LINK_TTL_MS) from
   * `now`; with `tenant`, the page shows that tenant's defaults.
   */
  preferences(userId: string, now: number, options?: { ttlMs?: number; tenant?: string | null }): string;
  verifyPreferences(token: string, now: number): Verified<PreferencesClaim>;
}

export function createLinkSigner(secret: string): LinkSigner {
  const sign = (payload: string) => createHmac('sha256', secret).update(payload).digest('base64url');
  const issue = (claim: object) => {
    const payload = Buffer.from(JSON.stringify(claim)).toString('base64url');
    return `${payload}.${sign(payload)}`;
  };
  function verify<Claim extends { exp: number }>(schema: z.ZodType<Claim>, token: string, now: number): Verified<Claim> {
    const [payload, signature, ...rest] = token.split('.');
    if (!payload || !signature || rest.length) return { ok: false, reason: 'malformed link' };
    const expected = Buffer.from(sign(payload));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { ok: false, reason: 'invalid signature' };
    let parsed;
    try {
      parsed = schema.safeParse(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')));
    } catch {
      return { ok: false, reason: 'malformed link' };
    }
    if (!parsed.success) return { ok: false, reason: 'malformed link' };
    if (parsed.data.exp < now) return { ok: false, reason: 'expired link' };
    return { ok: true, claim: parsed.data };
  }
  return {
    unsubscribe: (claim, now) => issue({ kind: 'unsubscribe', ...claim, exp: now + UNSUBSCRIBE_LINK_TTL_MS }),
    verifyUnsubscribe: (token, now) => verify(unsubscribeClaim, token, now),
    preferences: (userId, now, { ttlMs = PREFERENCES_LINK_TTL_MS, tenant } = {}) =>
      // `tenant` only when there is one: an untenanted link keeps the bytes (and length) it always had.
      issue({ kind: 'preferences', userId, ...(tenant ? { tenant } : {}), exp: now + Math.min(ttlMs, PREFERENCES_LINK_TTL_MS) }),
    verifyPreferences: (token, now) => verify(preferencesClaim, token, now),
  };
}
