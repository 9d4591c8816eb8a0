/**
 * The fan-out's own pg-boss queue: one job per page, `{ fanoutId, after }`. A page job names the cursor it
 * continues from, so a job delivered twice (its commit done, pg-boss not yet told) finds the cursor moved on
 * and does nothing: the chain of pages never forks.
 */
import type { PgBoss } from 'pg-boss';
import type { SqlClient } from '../db/sql-client.ts';
import { asBossDb } from '../execution/queue.ts';

export const FANOUT_QUEUE = 'herald-fanout';

export interface PageJob {
  fanoutId: string;
  /** The fan-out's cursor when this page was enqueued (null: the first page). */
  after: string | null;
}

/**
 * A page is one transaction of a few statements; a failed one is retried with backoff, and its fan-out waits.
 * `notify`: the next page, enqueued as its page commits, wakes a worker at once (a NOTIFY) rather than at the next
 * poll, so a fan-out with no rate goes page after page at database speed, not one page per polling interval.
 * The fan-out's cancel queue (cancel-runs.ts) has the same: its chunks chain the same way.
 */
export const FANOUT_QUEUE_OPTIONS = {
  retryLimit: 20,
  retryDelay: 1,
  retryBackoff: true,
  retryDelayMax: 300,
  expireInSeconds: 300,
  heartbeatSeconds: 10,
  deleteAfterSeconds: 7 * 86_400,
  notify: true,
};

export async function ensureFanoutQueue(boss: PgBoss): Promise<void> {
  const existing = await boss.getQueue(FANOUT_QUEUE);
  if (!existing) return void (await boss.createQueue(FANOUT_QUEUE, FANOUT_QUEUE_OPTIONS));
  // A queue made before `notify` was set gets it (its other options stay as they were).
  if (!existing.notify) await boss.updateQueue(FANOUT_QUEUE, { notify: true });
}

/**
 * Priority of a page's safety net (the job behind a page the worker runs itself, page.ts) below every other page
 * job: a chain of pages leaves one behind each page, all stale once the next page commits, and pg-boss fetches by
 * priority before age, so the page that carries a fan-out on is never queued behind a pile of them.
 */
const SAFETY_NET_PRIORITY = -1;

/**
 * Enqueues a page in `tx`, due at `at` (ms since the epoch), or at once when `at` is absent or past. A page due at
 * once is inserted without a start time: pg-boss then NOTIFYs its workers at commit (a start time taken from this
 * process's clock lies after the transaction's `now()`, and pg-boss notifies only for jobs already due).
 */
export async function enqueuePage(boss: PgBoss, tx: SqlClient, job: PageJob, at?: number, options: { safetyNet?: boolean } = {}): Promise<void> {
  const due = at !== undefined && at > Date.now() ? { startAfter: new Date(at).toISOString() } : {};
  const priority = options.safetyNet ? { priority: SAFETY_NET_PRIORITY } : {};
  await boss.insert(FANOUT_QUEUE, [{ data: job as unknown as object, ...due, ...priority }], { db: asBossDb(tx) });
}
