/**
 * The outbox's retention, run by the hourly maintenance job (execution/schedules.ts): events older than the
 * bundle's retention — at most 7 days — that no endpoint still waits for go, with their deliveries and attempts.
 * An event with a pending delivery stays until it is delivered or dead (3 days at most once it is tried; a
 * disabled endpoint's pending deliveries keep theirs until it is enabled). Deleted in batches, each its own
 * statement, so a large backlog never holds one long transaction or locks many rows at once.
 */
import { rows, type SqlClient } from '../db/sql-client.ts';
import * as sql from './sql.ts';

/** Replay reaches back this far at most: the outbox is a delivery buffer, not an archive. */
export const OUTBOX_MAX_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;
export const RETENTION_BATCH = 5_000;

export async function pruneOutbox(db: SqlClient, retentionMs: number, now: number, batch = RETENTION_BATCH): Promise<number> {
  const before = new Date(now - Math.min(retentionMs, OUTBOX_MAX_RETENTION_MS));
  let total = 0;
  for (;;) {
    const n = (await rows<{ n: number }>(db, sql.deleteOldEvents(before, batch)))[0]?.n ?? 0;
    total += n;
    if (n < batch) return total;
  }
}
