/**
 * Deleting a user (`DELETE /v1/users/:id`, Courier's `DELETE /profiles/:id`): their active runs are cancelled
 * through the engine, as `POST /v1/runs/:id/cancel` does, and what Herald holds about them is erased
 * (sql.eraseUser) — in one transaction, so no run can send between the cancel and the erasure, and a failure
 * leaves everything as it was. What stays, and why, is in runtime/README.md ("Deleting a user").
 */
import type { Context } from 'hono';
import { auditRequest } from '../audit/routes.ts';
import * as sql from '../db/sql.ts';
import { exec, one, rows } from '../db/sql-client.ts';
import { processFacts } from '../execution/batch.ts';
import type { AppDeps } from '../http/deps.ts';
import * as outboxSql from '../outbox/sql.ts';

export interface DeletedUser {
  userId: string;
  /** False when there was no stored profile: a delete is idempotent, and a second one finds nothing. */
  profile: boolean;
  preferences: number;
  inboxItems: number;
  runsCancelled: number;
  messagesRedacted: number;
}

export async function deleteUser(deps: Pick<AppDeps, 'db' | 'driver'>, userId: string): Promise<DeletedUser> {
  return deps.db.transaction(async (tx) => {
    const active = await rows<{ id: string }>(tx, sql.activeRunsOfUser(userId));
    const now = deps.driver.now();
    const states = active.length
      ? await processFacts(
          deps.driver,
          tx,
          active.map((r) => ({ runId: r.id, fact: { type: 'cancel' as const, now, reason: 'user deleted' } })),
        )
      : new Map<string, { status: string }>();
    const erased = (await one<sql.ErasedUser>(tx, sql.eraseUser(userId)))!;
    // Last: the cancel and the erasure above may themselves have written events of the user (run.cancelled).
    // Their outbound events (subjects, clicked URLs) and deliveries go too, so no replay sends them again.
    await exec(tx, outboxSql.deleteUserEvents(userId));
    return {
      userId,
      profile: erased.profile,
      preferences: erased.preferences,
      inboxItems: erased.inbox_items,
      runsCancelled: [...states.values()].filter((s) => s.status === 'cancelled').length,
      messagesRedacted: erased.messages_redacted,
    };
  });
}

/** Deletes the user named by the route's `:userId` and records `user_deleted` as the key that asked. */
export async function deleteUserAudited(c: Context, deps: Pick<AppDeps, 'db' | 'driver' | 'auditLog' | 'env'>, userId: string): Promise<DeletedUser> {
  const deleted = await deleteUser(deps, userId);
  const { userId: _id, ...details } = deleted;
  await auditRequest(c, deps, { action: 'user_deleted', target: `user:${userId}`, details });
  return deleted;
}
