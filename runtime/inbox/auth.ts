/**
 * Who is asking: the user a valid inbox token names. The token comes in `Authorization: Bearer …`; only the
 * stream also takes it in `?token=`, because EventSource cannot set headers. Everywhere else a `?token=` is
 * refused rather than ignored: URLs end up in logs and histories, so a client putting the token there
 * must learn to stop. No secret configured means the inbox API is off (503, saying what to set), never open.
 */
import type { Context } from 'hono';
import { HttpError } from '../http/errors.ts';
import { verifyInboxToken, type InboxTokenClaim } from './token.ts';

/** Shorter secrets are refused: the secret is all that stands between one user and another's inbox. */
export const MIN_SECRET_LENGTH = 16;

export function inboxSecret(env: NodeJS.ProcessEnv): string {
  const secret = env.HERALD_INBOX_SECRET ?? '';
  if (!secret) {
    throw new HttpError(503, 'unavailable', 'the inbox API is not configured: set HERALD_INBOX_SECRET to the secret your backend signs user tokens with');
  }
  if (secret.length < MIN_SECRET_LENGTH) {
    throw new HttpError(503, 'unavailable', `the inbox API is not configured: HERALD_INBOX_SECRET must be at least ${MIN_SECRET_LENGTH} characters`);
  }
  return secret;
}

export interface TokenPlaces {
  /** True only on the stream route: EventSource cannot send an Authorization header. */
  query: boolean;
}

export function tokenOf(c: Context, places: TokenPlaces): string | null {
  const inQuery = c.req.query('token');
  if (inQuery !== undefined && !places.query) {
    throw unauthorized(c, '?token= is accepted only on /v1/inbox/stream (for EventSource); send the token in the Authorization: Bearer <token> header');
  }
  const header = c.req.header('authorization');
  if (header) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    return match ? match[1]! : null;
  }
  return inQuery || null;
}

export function authenticate(c: Context, env: NodeJS.ProcessEnv, nowMs: number, places: TokenPlaces = { query: false }): InboxTokenClaim {
  const secret = inboxSecret(env);
  const token = tokenOf(c, places);
  if (!token) {
    throw unauthorized(
      c,
      places.query
        ? 'an inbox token is required (Authorization: Bearer <token>, or ?token= for EventSource)'
        : 'an inbox token is required (Authorization: Bearer <token>)',
    );
  }
  const result = verifyInboxToken(secret, token, nowMs);
  if (!result.ok) throw unauthorized(c, result.reason);
  return result.claim;
}

function unauthorized(c: Context, message: string): HttpError {
  c.header('WWW-Authenticate', 'Bearer realm="herald-inbox", error="invalid_token"');
  return new HttpError(401, 'unauthorized', message);
}
