/**
 * Signing in and out of the dashboard: the form's checks (blank secrets, the guessing brake), the session in
 * the database, the cookie, and an audit entry for each login, failed login and logout.
 */
import { createHash } from 'node:crypto';
import type { Context } from 'hono';
import { z } from 'zod';
import { clientAddress } from '../http/client-address.ts';
import type { AuditEntry, AuditRecorder } from '../audit/audit.ts';
import { clearSessionCookie, LOGIN_PATH, safeNext, setSessionCookie } from './auth.ts';
import { loginPage } from './pages/login.ts';
import type { DashboardAuthSettings } from './session.ts';
import type { DashboardSessions } from './sessions.ts';
import type { LoginThrottle } from './throttle.ts';

const loginForm = z.object({ secret: z.string().max(1000).default(''), next: z.string().max(2000).optional() });

export interface LoginDeps {
  auth: DashboardAuthSettings;
  sessions: DashboardSessions;
  throttle: LoginThrottle;
  /** HERALD_TRUSTED_PROXIES, read once at start (client-address.ts). */
  trustedProxies: number;
  publicUrl: () => string;
  audit?: AuditRecorder | undefined;
  log: (error: unknown) => void;
  now?: () => number;
}

/** A stable reference to a session for the audit log, so a login and its logout can be matched without the id. */
const sessionRef = (id: string) => createHash('sha256').update(id).digest('hex').slice(0, 16);

export function loginHandlers(deps: LoginDeps) {
  const now = deps.now ?? Date.now;
  const { auth } = deps;
  // The shared login has no user name: the account is the secret the form takes, one per mode.
  const account = `dashboard:${auth.mode}`;
  const what = auth.mode === 'password' ? 'dashboard password' : 'API key';

  /** An audit log that fails must not decide whether someone can sign in; its error goes to the runtime's log. */
  const record = async (entry: AuditEntry) => {
    try {
      await deps.audit?.(entry);
    } catch (error) {
      deps.log(error);
    }
  };

  const form = (c: Context, next: string, status: 400 | 401 | 403 | 429, error: string) => c.html(loginPage({ mode: auth.mode, next, error }), status);

  return {
    async submit(c: Context) {
      const parsed = loginForm.safeParse(await c.req.parseBody());
      const next = safeNext(parsed.success ? parsed.data.next : undefined);
      if (auth.mode === 'off') {
        return form(c, next, 403, 'Sign-in is off: set HERALD_DASHBOARD_PASSWORD, or give the runtime an admin API key.');
      }
      // Nothing to check, so nothing counted: an empty form is a slip, not a guess.
      if (parsed.success && parsed.data.secret.trim() === '') return form(c, next, 400, `Enter the ${what}.`);
      const ip = clientAddress(c, deps.trustedProxies);
      const at = now();
      if (deps.throttle.refusal(account, ip, at) !== null) {
        // Not audited: refused attempts are not checked, and recording each would let a flood write to the log.
        return form(c, next, 429, 'Too many failed attempts. Wait a few minutes, then try again.');
      }
      if (!parsed.success || !auth.accepts(parsed.data.secret)) {
        deps.throttle.fail(account, ip, at);
        await record({ actor: account, action: 'login_failed', target: account, ip });
        return form(c, next, 401, `That is not the ${what}.`);
      }
      deps.throttle.succeed(ip);
      const session = await deps.sessions.start(at);
      await record({ actor: account, action: 'login', target: account, ip, details: { session: sessionRef(session.id) } });
      setSessionCookie(c, session.token, session.expiresAt, at, deps.publicUrl());
      return c.redirect(next, 303);
    },

    async logout(c: Context) {
      const id = await deps.sessions.end(clearSessionCookie(c), now());
      if (id !== null)
        await record({ actor: account, action: 'logout', target: account, ip: clientAddress(c, deps.trustedProxies), details: { session: sessionRef(id) } });
      return c.redirect(LOGIN_PATH, 303);
    },
  };
}
