/**
 * The dashboard's gate: every page behind a session cookie (unauthenticated requests go to the login page),
 * state changes only by POST from our own origin, security headers on every answer, and the cookie. The session
 * itself is session.ts and sessions.ts; the login form and its brake on guessing, login.ts and throttle.ts.
 */
import { allows, bearerToken, findKey, type ApiKey } from '../http/api-keys.ts';
import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { SESSION_COOKIE } from './session.ts';
import type { DashboardSessions } from './sessions.ts';

export const DASHBOARD = '/dashboard';
export const LOGIN_PATH = `${DASHBOARD}/login`;
export const ASSETS_PATH = `${DASHBOARD}/assets/`;
/** JSON for the page's own polling; also open to `Authorization: Bearer <API key>` for scripts. */
export const API_PATH = `${DASHBOARD}/api/`;

/**
 * Only our own files, no framing, no inline script. Inline styles are allowed: an email's HTML (shown in a
 * sandboxed srcdoc frame, which inherits this policy) is styled inline, and showing it as the recipient saw
 * it matters more than forbidding style attributes on pages that run no inline script. Images are ours or
 * data: only, so opening an email here fetches no tracking pixel and no remote host learns of the view.
 */
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

export const securityHeaders: MiddlewareHandler = async (c, next) => {
  await next();
  c.header('Content-Security-Policy', CSP);
  c.header('X-Content-Type-Options', 'nosniff');
  c.header('X-Frame-Options', 'DENY');
  c.header('Referrer-Policy', 'same-origin');
  if (!c.req.path.startsWith(ASSETS_PATH)) c.header('Cache-Control', 'no-store');
};

/**
 * A POST is ours when its Origin (or, lacking one, its Referer) is this host or the public URL. With the
 * SameSite=Strict cookie this stops cross-site form posts, including login CSRF.
 */
export function sameOrigin(c: Context, publicUrl: string): boolean {
  const claimed = c.req.header('origin') ?? c.req.header('referer');
  if (!claimed || claimed === 'null') return false;
  let origin: URL;
  try {
    origin = new URL(claimed);
  } catch {
    return false;
  }
  if (origin.host === c.req.header('host')) return true;
  try {
    return origin.origin === new URL(publicUrl).origin;
  } catch {
    return false;
  }
}

/** Where to go after logging in: only a dashboard path (never another site, never `//host`). */
export function safeNext(next: string | undefined): string {
  if (!next || !/^\/dashboard(?:[/?#]|$)/.test(next) || /[\\\s]|\/\//.test(next)) return DASHBOARD;
  return next;
}

/** A script reading the dashboard's JSON with an API key: any key of `read` scope (or admin). */
function bearerReads(header: string | undefined, keys: readonly ApiKey[]): boolean {
  const token = bearerToken(header);
  const key = token === null ? null : findKey(keys, token);
  return key !== null && allows(key, 'read');
}

export interface GuardOptions {
  sessions: Pick<DashboardSessions, 'current'>;
  apiKeys: readonly ApiKey[];
  publicUrl: () => string;
  now?: () => number;
}

/**
 * Lets through the login page and the static assets; everything else needs a live session. Pages redirect
 * to the login page (remembering where they were going); the JSON API answers 401 so the polling script can
 * send the browser there itself. Every non-GET request must also come from our origin.
 */
export function dashboardGuard(options: GuardOptions): MiddlewareHandler {
  const now = options.now ?? Date.now;
  return async (c, next) => {
    const path = c.req.path;
    const reading = c.req.method === 'GET' || c.req.method === 'HEAD';
    if (!reading && !sameOrigin(c, options.publicUrl())) {
      return c.text('Forbidden: this form was not posted from the dashboard (Origin check).', 403);
    }
    if (path === LOGIN_PATH || path.startsWith(ASSETS_PATH)) return next();
    if ((await options.sessions.current(getCookie(c, SESSION_COOKIE), now())) !== null) return next();
    if (path.startsWith(API_PATH)) {
      if (reading && bearerReads(c.req.header('authorization'), options.apiKeys)) return next();
      return c.json({ error: { code: 'unauthorized', message: `no dashboard session: sign in at ${LOGIN_PATH}` } }, 401);
    }
    const target = reading ? `${path}${new URL(c.req.url).search}` : DASHBOARD;
    return c.redirect(`${LOGIN_PATH}?next=${encodeURIComponent(target)}`, reading ? 302 : 303);
  };
}

/** HTTPS when the public URL or the proxy in front says so: then the cookie is Secure. */
function isHttps(c: Context, publicUrl: string): boolean {
  return publicUrl.startsWith('https:') || c.req.header('x-forwarded-proto') === 'https' || new URL(c.req.url).protocol === 'https:';
}

export function setSessionCookie(c: Context, token: string, expiresAt: number, now: number, publicUrl: string): void {
  setCookie(c, SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: 'Strict',
    path: DASHBOARD,
    secure: isHttps(c, publicUrl),
    maxAge: Math.max(0, Math.floor((expiresAt - now) / 1000)),
    expires: new Date(expiresAt),
  });
}

export function clearSessionCookie(c: Context): string | undefined {
  const token = getCookie(c, SESSION_COOKIE);
  deleteCookie(c, SESSION_COOKIE, { path: DASHBOARD, httpOnly: true, sameSite: 'Strict' });
  return token;
}
