/**
 * Who may send Segment calls: a write key, as Segment takes it — HTTP Basic with the key as user name and an
 * empty password (`key:` base64-encoded; the bare `key` without the colon too, which Segment still accepts),
 * or the `writeKey` field of the body. Several keys may be allowed at once (`SEGMENT_WRITE_KEY=a,b`), so a key
 * can be rotated without a gap. And the Segment webhook destination's signature: `X-Signature`, the hex
 * HMAC-SHA1 of the raw body with the destination's shared secret.
 *
 * A key has a kind. `SEGMENT_WRITE_KEY` holds `server` keys, kept on servers, that may do everything.
 * `SEGMENT_BROWSER_WRITE_KEY` holds `browser` keys: analytics.js ships its key to every visitor, so whoever
 * holds one can claim to be any user, and what such a call may do is limited (access.ts).
 */
import { sameSecret } from '../http/api-keys.ts';
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { SignatureCheck } from '../webhooks/events.ts';

export const SEGMENT_SIGNATURE_HEADER = 'x-signature';

/** The allowed write keys from `SEGMENT_WRITE_KEY` (comma-separated; a trailing `:` as copied from a Basic pair is dropped). */
export function writeKeysFrom(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((k) => k.trim().replace(/:$/, ''))
    .filter((k) => k.length > 0);
}

/**
 * The write key of a Basic `Authorization` header, or null when the header is not Basic or not decodable.
 * The password, which Segment leaves empty, is not part of the key and is ignored.
 */
export function writeKeyFromHeader(header: string): string | null {
  const match = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header);
  if (!match) return null;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const key = colon === -1 ? decoded : decoded.slice(0, colon);
  return key.length > 0 ? key : null;
}

export function isAllowedWriteKey(allowed: string[], given: string): boolean {
  // Every key is compared, so the time taken does not say which one matched.
  return allowed.reduce((found, key) => sameSecret(key, given) || found, false);
}

export type WriteKeyKind = 'server' | 'browser';

export interface WriteKeys {
  server: string[];
  browser: string[];
}

/** The allowed keys of each kind, from the environment (`SEGMENT_WRITE_KEY`, `SEGMENT_BROWSER_WRITE_KEY`). */
export function writeKeysOf(env: Readonly<Record<string, string | undefined>>): WriteKeys {
  return { server: writeKeysFrom(env.SEGMENT_WRITE_KEY), browser: writeKeysFrom(env.SEGMENT_BROWSER_WRITE_KEY) };
}

export const hasWriteKeys = (keys: WriteKeys): boolean => keys.server.length + keys.browser.length > 0;

/**
 * The kind of an allowed key, null for any other. Both lists are compared in full (constant time, as
 * isAllowedWriteKey). A key listed as both is a browser key: the narrower rights win.
 */
export function writeKeyKind(keys: WriteKeys, given: string): WriteKeyKind | null {
  const browser = isAllowedWriteKey(keys.browser, given);
  const server = isAllowedWriteKey(keys.server, given);
  return browser ? 'browser' : server ? 'server' : null;
}

export function signSegmentBody(secret: string, rawBody: Buffer | string): string {
  return createHmac('sha1', secret).update(rawBody).digest('hex');
}

export const MISSING_SIGNATURE = `missing ${SEGMENT_SIGNATURE_HEADER} header (HMAC-SHA1 of the body with the shared secret)`;

/** 401 without a signature, 403 with one that does not match (the same split as the other provider webhooks). */
export function verifySegmentSignature(secret: string, signature: string | undefined, rawBody: Buffer): SignatureCheck {
  if (!signature) return { ok: false, status: 401, reason: MISSING_SIGNATURE };
  const expected = Buffer.from(signSegmentBody(secret, rawBody), 'hex');
  const given = /^[0-9a-f]{40}$/i.test(signature.trim()) ? Buffer.from(signature.trim(), 'hex') : Buffer.alloc(0);
  const valid = given.length === expected.length && timingSafeEqual(given, expected);
  return valid ? { ok: true } : { ok: false, status: 403, reason: 'Segment signature does not match' };
}
