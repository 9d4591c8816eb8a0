/**
 * Dashboard sessions across processes: a signed token (session.ts) names a session, and the session is open
 * while its row is in `herald.dashboard_sessions`. Every authenticated request looks the id up (a primary-key
 * read, not cached: a logout anywhere is refused everywhere from the next request on).
 */
import * as sql from '../db/sql.ts';
import { exec, one, type SqlClient } from '../db/sql-client.ts';
import type { DashboardAuthSettings } from './session.ts';

export interface DashboardSessions {
  /** Signs in: a new token, its session opened in the database. */
  start(now: number): Promise<{ token: string; id: string; expiresAt: number }>;
  /** The session's id when the token is ours, unexpired and still open; else null. */
  current(token: string | undefined, now: number): Promise<string | null>;
  /** Signs out everywhere; the id of the session closed, when the token named one of ours. */
  end(token: string | undefined, now: number): Promise<string | null>;
}

export function dashboardSessions(auth: DashboardAuthSettings, db: SqlClient): DashboardSessions {
  return {
    async start(now) {
      const session = auth.issue(now);
      await exec(db, sql.openDashboardSession(session.id, new Date(session.expiresAt)));
      return session;
    },
    async current(token, now) {
      // The signature first: a forged or stale cookie costs no database round trip.
      const session = auth.verify(token, now);
      if (!session) return null;
      const row = await one<{ open: boolean }>(db, sql.dashboardSessionIsOpen(session.id));
      return row?.open ? session.id : null;
    },
    async end(token, now) {
      const session = auth.verify(token, now);
      if (!session) return null;
      await exec(db, sql.closeDashboardSession(session.id));
      return session.id;
    },
  };
}
