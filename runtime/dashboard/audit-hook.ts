/**
 * Where the dashboard reports who signed in, who failed to and who signed out. The runtime's audit log
 * (`herald.audit_log`, runtime/audit/) supplies the function through AppDeps.audit; the dashboard only calls it.
 */

export interface AuditEntry {
  /** Who acted: for the dashboard's shared login, the account signed in to (e.g. `dashboard:password`). */
  actor: string;
  /** What happened; the dashboard sends `login`, `login_failed` and `logout`. */
  action: string;
  /** What it was done to, when that differs from the actor. */
  target?: string;
  /** The client's address (runtime/http/client-address.ts). */
  ip?: string;
  /** Anything else worth keeping. Never a secret: no passwords, keys or whole session tokens. */
  details?: Record<string, unknown>;
}

export type AuditHook = (entry: AuditEntry) => Promise<void> | void;
