/**
 * What the dashboard's login form accepts, and the signed token its cookie carries. A token is an expiry and
 * a random id, HMAC-signed; it is only half of a session: the id must also be open in the database
 * (sessions.ts), which is what lets a logout in one process take effect in all of them.
 */
import { sameSecret } from '../http/api-keys.ts';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SESSION_COOKIE = 'herald_dashboard';
/** A working day: long enough not to nag, short enough that a forgotten tab does not stay signed in for weeks. */
export const SESSION_TTL_MS = 8 * 60 * 60 * 1000;

/** A dashboard setting the runtime cannot start with; the message says what to change. */
export class DashboardConfigError extends Error {}

export interface DashboardAuthSettings {
  /**
   * What the login form takes: the dashboard password when one is set, else the API key; `off` when there is
   * neither (the API keys have no admin key and no password is set), and then no login succeeds.
   */
  mode: 'password' | 'api-key' | 'off';
  /** Compares a submitted secret in constant time; a blank one is never accepted. */
  accepts(submitted: string): boolean;
  /** Signs a new session valid from `now`. */
  issue(now: number): { token: string; id: string; expiresAt: number };
  /** The session a token names when the token is ours and unexpired; whether it is still open is sessions.ts's question. */
  verify(token: string | undefined, now: number): { id: string; expiresAt: number } | null;
}

export interface DashboardAuthInput {
  apiKey: string;
  /** HERALD_DASHBOARD_PASSWORD: when set (non-empty), the form takes it instead of the API key. */
  password?: string | undefined;
  /** HERALD_SIGNING_SECRET, when set. */
  signingSecret?: string | undefined;
}

const b64 = (buffer: Buffer) => buffer.toString('base64url');
const blank = (value: string) => value.trim() === '';

/**
 * The password, when set. Empty means unset (as `VAR=` does in most deployment files); a password of only
 * spaces is a mistake that would let a login of spaces in, so the runtime refuses to start with it.
 */
function passwordOf(password: string | undefined): string | undefined {
  if (!password) return undefined;
  if (blank(password)) {
    throw new DashboardConfigError(
      'HERALD_DASHBOARD_PASSWORD is only whitespace: set a real password, or unset it to sign in to the dashboard with the API key',
    );
  }
  return password;
}

export function dashboardAuth(input: DashboardAuthInput): DashboardAuthSettings {
  const password = passwordOf(input.password);
  const secretOf = password ?? input.apiKey;
  // The key covers every secret the login depends on: rotating the API key, the password or the signing
  // secret signs everyone out.
  const key = createHmac('sha256', input.signingSecret ?? input.apiKey)
    .update(`herald-dashboard-session\0${input.apiKey}\0${password ?? ''}`)
    .digest();
  const sign = (payload: string) => b64(createHmac('sha256', key).update(payload).digest());

  return {
    mode: password !== undefined ? 'password' : blank(input.apiKey) ? 'off' : 'api-key',
    // A blank secret on either side never matches: an unset key must not make an empty form a login.
    accepts: (submitted) => !blank(secretOf) && !blank(submitted) && sameSecret(secretOf, submitted),
    issue(now) {
      const expiresAt = now + SESSION_TTL_MS;
      const id = b64(randomBytes(18));
      return { token: `v1.${expiresAt}.${id}.${sign(`v1.${expiresAt}.${id}`)}`, id, expiresAt };
    },
    verify(token, now) {
      if (!token) return null;
      const parts = token.split('.');
      if (parts.length !== 4 || parts[0] !== 'v1') return null;
      const [, expires, id, signature] = parts as [string, string, string, string];
      const expected = Buffer.from(sign(`v1.${expires}.${id}`));
      const given = Buffer.from(signature);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
      const expiresAt = Number(expires);
      return Number.isSafeInteger(expiresAt) && expiresAt > now ? { id, expiresAt } : null;
    },
  };
}
