/**
 * DB mode: the event is written into `herald.ingest` through the caller's own transaction, so it exists
 * exactly when their business write does; the runtime's consumer (runtime/intake/ingest-queue.ts) accepts
 * it after commit and deletes the row in the same transaction. This file is the customer's side of that
 * contract and depends on nothing of the runtime: only the table (created by the runtime's migration).
 *
 * One statement, so it works with any client that runs a parameterised query (no multi-statement text):
 * the INSERT, and a NOTIFY that Postgres delivers at commit (and drops on rollback) to wake the consumer
 * at once instead of at its next poll. A row whose Idempotency-Key is already queued is skipped; a
 * concurrent transaction with the same key waits for this one, and inserts only if this one rolls back.
 */
import { HeraldError } from './errors.ts';
import type { Queryable } from './types.ts';

export const ENQUEUE_EVENT = `WITH queued AS (
  INSERT INTO herald.ingest (event, user_id, properties, message_id, idempotency_key)
  VALUES ($1, $2, $3::jsonb, $4, $5)
  ON CONFLICT (idempotency_key) DO NOTHING
  RETURNING id
)
SELECT pg_notify('herald_ingest', '') FROM queued`;

export interface QueuedEvent {
  event: string;
  userId: string;
  properties: unknown;
  messageId: string | null;
  idempotencyKey: string | null;
}

export async function enqueueEvent(db: Queryable, e: QueuedEvent): Promise<void> {
  try {
    // Serialised here: node-postgres would send a JS array as a Postgres array, not as JSON.
    await db.query(ENQUEUE_EVENT, [e.event, e.userId, JSON.stringify(e.properties), e.messageId, e.idempotencyKey]);
  } catch (error) {
    // 42P01: undefined_table. The transaction is aborted either way; say why in Herald's terms.
    if ((error as { code?: unknown } | null)?.code === '42P01') {
      throw new HeraldError(
        null,
        'not_migrated',
        'herald.ingest does not exist in this database: start the Herald runtime against it once (it creates its tables), and enqueue on that same database',
        undefined,
        { cause: error },
      );
    }
    throw error;
  }
}
