/**
 * The fact queue's handler. A batch of jobs is applied in one transaction (process.ts): one commit for many
 * jobs is what lets a process keep up with its database. When the batch fails, it is rolled back and its jobs
 * are retried one by one, each in its own transaction, so one bad job never holds back the others. Facts are
 * idempotent in the engine: a job redelivered after its transaction committed (its completion was lost)
 * changes nothing.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { isConnectionError, type Database } from '../db/pool.ts';
import { failpoint } from '../failpoints.ts';
import type { ExecutionDeps } from './deps.ts';
import { failRun, processFacts } from './batch.ts';
import type { FactJob } from './queue.ts';

interface BatchJob {
  id: string;
  data: FactJob;
  signal?: AbortSignal;
}

type JobResult = { id: string; status: 'completed' } | { id: string; status: 'failed'; output: { error: string } };

/**
 * How long a job waits out a database outage inside its handler before giving up (then pg-boss retries it
 * once the database is back, when the job's heartbeat is found stale). Riding it out here means a job cut
 * off mid-transaction finishes within moments of the database's return.
 */
const OUTAGE_PATIENCE_MS = 30_000;

async function processAlone(db: Database, deps: ExecutionDeps, job: BatchJob): Promise<void> {
  const deadline = Date.now() + OUTAGE_PATIENCE_MS;
  for (let pause = 250; ; pause = Math.min(pause * 2, 4_000)) {
    try {
      await db.transaction((tx) => processFacts(deps, tx, [job.data], job.signal));
      failpoint('job.after-commit');
      return;
    } catch (error) {
      if (!isConnectionError(error) || Date.now() + pause > deadline || job.signal?.aborted) throw error;
      await sleep(pause);
    }
  }
}

async function oneByOne(db: Database, deps: ExecutionDeps, jobs: BatchJob[], onError: (error: unknown) => void): Promise<JobResult[]> {
  return Promise.all(
    jobs.map(async (job): Promise<JobResult> => {
      // Handed back at the end of a stop's drain time: leave it for another process.
      if (job.signal?.aborted) return { id: job.id, status: 'failed', output: { error: 'the process stopped before this job finished' } };
      try {
        await processAlone(db, deps, job);
        return { id: job.id, status: 'completed' };
      } catch (error) {
        onError(error);
        return { id: job.id, status: 'failed', output: { error: error instanceof Error ? error.message : String(error) } };
      }
    }),
  );
}

export function factHandler(db: Database, deps: ExecutionDeps, onError: (error: unknown) => void) {
  return async (jobs: BatchJob[]): Promise<JobResult[]> => {
    if (jobs.length === 1) return oneByOne(db, deps, jobs, onError);
    try {
      const signals = jobs.flatMap((j) => (j.signal ? [j.signal] : []));
      await db.transaction((tx) =>
        processFacts(
          deps,
          tx,
          jobs.map((j) => j.data),
          signals.length ? AbortSignal.any(signals) : undefined,
        ),
      );
      failpoint('job.after-commit');
      return jobs.map((job) => ({ id: job.id, status: 'completed' }));
    } catch {
      // Rolled back: which job failed (or whether the database went away) is found out job by job.
      return oneByOne(db, deps, jobs, onError);
    }
  };
}

/** The dead letters' handler: each run whose fact job failed every retry is ended as failed, saying why. */
export function deadLetterHandler(db: Database, deps: ExecutionDeps, onError: (error: unknown) => void) {
  return async (jobs: { id: string; data: FactJob & { output?: unknown } }[]): Promise<void> => {
    for (const job of jobs) {
      const error = `a ${job.data.fact.type} job failed after every retry; the run cannot go on`;
      await db.transaction((tx) => failRun(deps, tx, job.data.runId, error));
      onError(new Error(`run ${job.data.runId}: ${error}`));
    }
  };
}
