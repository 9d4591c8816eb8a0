/**
 * Cancelling the runs a fan-out started, a chunk per transaction, through the engine (as `POST /v1/runs/:id/cancel`
 * does: a run waiting for its window never sends; one whose send is in flight finishes it). A broadcast's cancel
 * does the first chunk in its request, so a small one answers with every run cancelled; the rest go to jobs on
 * their own queue, each chunk enqueueing the next in its own transaction, so a request never walks 100,000 runs
 * and a crash loses no chunk (a job retried after its commit reads on from the runs still active: a run cancelled
 * is no longer read).
 */
import type { PgBoss } from 'pg-boss';
import type { Database } from '../db/pool.ts';
import { rows, type SqlClient } from '../db/sql-client.ts';
import { processFacts } from '../execution/batch.ts';
import type { DriverDeps } from '../execution/deps.ts';
import { asBossDb } from '../execution/queue.ts';
import { FANOUT_QUEUE_OPTIONS } from './queue.ts';
import * as sql from './sql.ts';

const FANOUT_CANCEL_QUEUE = 'herald-fanout-cancel';

/** Runs cancelled per transaction: each chunk locks its runs only for its own short transaction. */
const CANCEL_CHUNK = 200;

export interface CancelRunsJob {
  fanoutId: string;
  /** The last run id of the chunk before (null: from the first). */
  after: string | null;
  /** The reason the engine records on each run (its why-log). */
  reason: string;
}

export interface CancelledChunk {
  cancelled: number;
  /** Whether a job now carries on with the runs after this chunk. */
  more: boolean;
}

/** One chunk in `tx`: cancels up to `limit` active runs after the job's cursor and, when there may be more, enqueues the next chunk. */
export async function cancelRunsChunk(driver: DriverDeps, tx: SqlClient, job: CancelRunsJob, limit = CANCEL_CHUNK): Promise<CancelledChunk> {
  const active = await rows<{ id: string }>(tx, sql.activeRunsOfFanout(job.fanoutId, job.after, limit));
  if (active.length === 0) return { cancelled: 0, more: false };
  const now = driver.now();
  const states = await processFacts(
    driver,
    tx,
    active.map((r) => ({ runId: r.id, fact: { type: 'cancel' as const, now, reason: job.reason } })),
  );
  const more = active.length === limit;
  if (more) await enqueueCancelRuns(driver.boss, tx, { ...job, after: active.at(-1)!.id });
  return { cancelled: [...states.values()].filter((s) => s.status === 'cancelled').length, more };
}

async function enqueueCancelRuns(boss: PgBoss, tx: SqlClient, job: CancelRunsJob): Promise<void> {
  await boss.insert(FANOUT_CANCEL_QUEUE, [{ data: job as unknown as object }], { db: asBossDb(tx) });
}

/** Creates the queue and works it: one chunk per job, each in its own transaction. */
export async function workCancelRuns(boss: PgBoss, db: Database, driver: DriverDeps, onError: (error: unknown) => void): Promise<void> {
  if (!(await boss.getQueue(FANOUT_CANCEL_QUEUE))) {
    await boss.createQueue(FANOUT_CANCEL_QUEUE, FANOUT_QUEUE_OPTIONS);
  }
  await boss.work(FANOUT_CANCEL_QUEUE, { batchSize: 1, pollingIntervalSeconds: 1 }, async (jobs: { data: CancelRunsJob }[]) => {
    for (const job of jobs) {
      try {
        await db.transaction((tx) => cancelRunsChunk(driver, tx, job.data));
      } catch (error) {
        // Rolled back whole: pg-boss retries the chunk.
        onError(error);
        throw error;
      }
    }
  });
}
