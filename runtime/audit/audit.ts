/**
 * The audit log (`herald.audit_log`): who did what. Every admin or dashboard action that changes state
 * (preferences set for a user, a run cancelled, a user deleted), every login and failed login, and each API
 * key in use, by name. Entries name the key or dashboard login that acted, never a secret.
 *
 * Writing an entry never fails the action it records: the action has happened (or been refused) by then, and
 * an audit outage must not become an API outage. A failed write is reported to the runtime's error log.
 */
import type { Context } from 'hono';
import type { Database } from '../db/pool.ts';
import * as sql from '../db/sql.ts';
import { exec } from '../db/sql-client.ts';
import type { ApiKey } from '../http/api-keys.ts';

export const AUDIT_ACTIONS = [
  'key_used',
  'login',
  'login_failed',
  'logout',
  'preferences_set',
  'run_cancelled',
  'user_deleted',
  'profile_changed',
  'message_event_recorded',
  'broadcast_sent',
  'broadcast_cancelled',
  'tenant_deleted',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export interface AuditEntry {
  /** `key:<name>` for an API key, `dashboard` for a dashboard login, or who else acted. */
  actor: string;
  /** One of AUDIT_ACTIONS for the runtime's own entries. */
  action: AuditAction | (string & {});
  target?: string | undefined;
  ip?: string | undefined;
  details?: Record<string, unknown> | undefined;
}

/** What records an entry: the audit log's `record`, or a test's stand-in for it. */
export type AuditRecorder = (entry: AuditEntry) => Promise<void> | void;

export interface Audit {
  record(entry: AuditEntry): Promise<void>;
  /** Notes that a key authenticated a request: once per key per KEY_USE_INTERVAL_MS in each process. */
  keyUsed(key: ApiKey, c: Context): void;
}

/** A key in use is recorded hourly, not per request: the trigger path stays one write per request. */
export const KEY_USE_INTERVAL_MS = 60 * 60 * 1000;

/** The actor an authenticated API request is recorded as. */
export const keyActor = (key: ApiKey) => `key:${key.name}`;

export function createAudit(
  db: Pick<Database, 'query'>,
  options: { onError: (error: unknown) => void; now?: () => number; clientAddress?: (c: Context) => string | undefined },
): Audit {
  const now = options.now ?? Date.now;
  const lastUse = new Map<string, number>();
  const record = async (entry: AuditEntry) => {
    try {
      await exec(
        db,
        sql.insertAudit({ actor: entry.actor, action: entry.action, target: entry.target ?? null, ip: entry.ip ?? null, details: entry.details ?? null }),
      );
    } catch (error) {
      options.onError(error);
    }
  };
  return {
    record,
    keyUsed(key, c) {
      const at = now();
      const last = lastUse.get(key.name);
      if (last !== undefined && at - last < KEY_USE_INTERVAL_MS) return;
      lastUse.set(key.name, at);
      void record({ actor: keyActor(key), action: 'key_used', target: `${c.req.method} ${c.req.routePath}`, ip: options.clientAddress?.(c) });
    },
  };
}
