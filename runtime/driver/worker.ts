/**
 * The fact queue's handler. A batch runs in one transaction with a savepoint per job: one commit (one WAL
 * flush) for the whole batch, while a job that fails rolls back to its savepoint alone and is retried by
 * pg-boss. If the database itself goes away, each job is redone in its own transaction, riding out the
 * outage. Facts are idempotent in the engine: a job redelivered after its transaction committed (its
 * completion was lost) changes nothing.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { isConnectionError, type Database } from '../db/pool.ts';
import type { DriverDeps } from './context.ts';
import { processFact } from './process.ts';
import type { FactJob } from './queue.ts';

interface BatchJob {
  id: string;
  data: FactJob;
  signal?: AbortSignal;
}

/**
 * How long a job waits out a database outage inside its handler before giving up (then pg-boss retries it
 * once the database is back, when the job's heartbeat is found stale). Riding it out here means a job cut
 * off mid-transaction finishes within moments of the database's return.
 */
const OUTAGE_PATIENCE_MS = 30_000;

async function processWithPatience(db: Database, deps: DriverDeps, job: BatchJob): Promise<void> {
  const deadline = Date.now() + OUTAGE_PATIENCE_MS;
  for (let pause = 250; ; pause = Math.min(pause * 2, 4_000)) {
    try {
      await db.transaction((tx) => processFact(deps, tx, job.data));
      return;
    } catch (error) {
      if (!isConnectionError(error) || Date.now() + pause > deadline || job.signal?.aborted) throw error;
      await sleep(pause);
    }
  }
}

type Outcome = { id: string; status: 'completed' | 'failed'; output?: { error: string } };

const failed = (job: BatchJob, error: unknown): Outcome => ({
  id: job.id,
  status: 'failed',
  output: { error: error instanceof Error ? error.message : String(error) },
});

/** The whole batch in one transaction; jobs in run-id order, so concurrent batches lock runs in one order. */
async function processTogether(db: Database, deps: DriverDeps, jobs: BatchJob[], onError: (error: unknown) => void): Promise<Outcome[]> {
  const ordered = [...jobs].sort((a, b) => (a.data.runId < b.data.runId ? -1 : a.data.runId > b.data.runId ? 1 : 0));
  return db.transaction(async (tx) => {
    const outcomes: Outcome[] = [];
    for (const job of ordered) {
      await tx.query('SAVEPOINT job');
      try {
        await processFact(deps, tx, job.data);
        await tx.query('RELEASE SAVEPOINT job');
        outcomes.push({ id: job.id, status: 'completed' });
      } catch (error) {
        if (isConnectionError(error)) throw error;
        await tx.query('ROLLBACK TO SAVEPOINT job');
        onError(error);
        outcomes.push(failed(job, error));
      }
    }
    return outcomes;
  });
}

export function factHandler(db: Database, deps: DriverDeps, onError: (error: unknown) => void) {
  return async (jobs: BatchJob[]) => {
    if (jobs.length > 1) {
      try {
        return await processTogether(db, deps, jobs, onError);
      } catch (error) {
        if (!isConnectionError(error)) throw error;
        // The database went away mid-batch: nothing committed; redo each job on its own, with patience.
      }
    }
    return Promise.all(
      jobs.map(async (job) => {
        try {
          await processWithPatience(db, deps, job);
          return { id: job.id, status: 'completed' as const };
        } catch (error) {
          onError(error);
          return failed(job, error);
        }
      }),
    );
  };
}
