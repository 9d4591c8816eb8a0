/**
 * Signed links the runtime hands out in messages (one-click unsubscribe; the preference center later):
 * `<payload>.<signature>`, both base64url, the signature an HMAC-SHA256 of the payload with the runtime's
 * signing secret. A link names exactly what it may change and until when; nothing else is trusted.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { channelSchema } from '../compiler/bundle/schema.ts';

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

/** How long an unsubscribe link keeps working: mail is read late, and RFC 8058 links must still work then. */
export const UNSUBSCRIBE_LINK_TTL_MS = 180 * 86_400_000;

export interface LinkSigner {
  unsubscribe(claim: Omit<UnsubscribeClaim, 'kind' | 'exp'>, now: number): string;
  verifyUnsubscribe(token: string, now: number): { ok: true; claim: UnsubscribeClaim } | { ok: false; reason: string };
}

export function createLinkSigner(secret: string): LinkSigner {
  const sign = (payload: string) => createHmac('sha256', secret).update(payload).digest('base64url');
  return {
    unsubscribe(claim, now) {
      const payload = Buffer.from(JSON.stringify({ kind: 'unsubscribe', ...claim, exp: now + UNSUBSCRIBE_LINK_TTL_MS })).toString('base64url');
      return `${payload}.${sign(payload)}`;
    },
    verifyUnsubscribe(token, now) {
      const [payload, signature, ...rest] = token.split('.');
      if (!payload || !signature || rest.length) return { ok: false, reason: 'malformed link' };
      const expected = Buffer.from(sign(payload));
      const given = Buffer.from(signature);
      if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { ok: false, reason: 'invalid signature' };
      let parsed;
      try {
        parsed = unsubscribeClaim.safeParse(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')));
      } catch {
        return { ok: false, reason: 'malformed link' };
      }
      if (!parsed.success) return { ok: false, reason: 'malformed link' };
      if (parsed.data.exp < now) return { ok: false, reason: 'expired link' };
      return { ok: true, claim: parsed.data };
    },
  };
}
