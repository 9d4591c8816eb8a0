/**
 * Dashboard sessions: what the login form accepts, and the signed cookie that stands for a login. The cookie
 * is stateless (an expiry and a random id, HMAC-signed), so any runtime sharing the secret accepts it; a
 * logout revokes its id in this process until it would have expired anyway.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SESSION_COOKIE = 'herald_dashboard';
/** A working day: long enough not to nag, short enough that a forgotten tab does not stay signed in for weeks. */
export const SESSION_TTL_MS = 8 * 60 * 60 * 1000;

export interface DashboardAuthSettings {
  /** What the login form takes: the dashboard password when one is set, else the API key. */
  mode: 'password' | 'api-key';
  /** Compares a submitted secret in constant time. */
  accepts(submitted: string): boolean;
  /** Signs a new session valid from `now`. */
  issue(now: number): { token: string; expiresAt: number };
  /** The session's id when the token is ours, unexpired and not logged out; else null. */
  verify(token: string | undefined, now: number): string | null;
  /** Logs the session out (in this process). */
  revoke(token: string | undefined, now: number): void;
}

export interface DashboardAuthInput {
  apiKey: string;
  /** HERALD_DASHBOARD_PASSWORD: when set (non-empty), the form takes it instead of the API key. */
  password?: string | undefined;
  /** HERALD_SIGNING_SECRET, when set. */
  signingSecret?: string | undefined;
}

/** Hashing both sides first makes the comparison constant-time whatever the lengths. */
function sameSecret(expected: string, given: string): boolean {
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256').update(given).digest();
  return timingSafeEqual(a, b);
}

const b64 = (buffer: Buffer) => buffer.toString('base64url');

export function dashboardAuth(input: DashboardAuthInput): DashboardAuthSettings {
  const password = input.password ? input.password : undefined;
  const secretOf = password ?? input.apiKey;
  // The key covers every secret the login depends on: rotating the API key, the password or the signing
  // secret signs everyone out.
  const key = createHmac('sha256', input.signingSecret ?? input.apiKey)
    .update(`herald-dashboard-session\0${input.apiKey}\0${password ?? ''}`)
    .digest();
  const sign = (payload: string) => b64(createHmac('sha256', key).update(payload).digest());
  /** Logged-out session ids → when they expire (then they need no remembering). */
  const revoked = new Map<string, number>();

  const parse = (token: string | undefined): { id: string; expiresAt: number } | null => {
    if (!token) return null;
    const parts = token.split('.');
    if (parts.length !== 4 || parts[0] !== 'v1') return null;
    const [, expires, id, signature] = parts as [string, string, string, string];
    const expected = Buffer.from(sign(`v1.${expires}.${id}`));
    const given = Buffer.from(signature);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    const expiresAt = Number(expires);
    return Number.isSafeInteger(expiresAt) ? { id, expiresAt } : null;
  };

  const prune = (now: number) => {
    for (const [id, until] of revoked) if (until <= now) revoked.delete(id);
  };

  return {
    mode: password === undefined ? 'api-key' : 'password',
    accepts: (submitted) => sameSecret(secretOf, submitted),
    issue(now) {
      const expiresAt = now + SESSION_TTL_MS;
      const id = b64(randomBytes(18));
      return { token: `v1.${expiresAt}.${id}.${sign(`v1.${expiresAt}.${id}`)}`, expiresAt };
    },
    verify(token, now) {
      const session = parse(token);
      if (!session || session.expiresAt <= now || revoked.has(session.id)) return null;
      return session.id;
    },
    revoke(token, now) {
      const session = parse(token);
      if (!session) return;
      prune(now);
      if (session.expiresAt > now) revoked.set(session.id, session.expiresAt);
    },
  };
}
