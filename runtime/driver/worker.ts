/**
 * The fact queue's handler: each job of a batch in its own transaction, so one bad job never holds back
 * the others. Facts are idempotent in the engine: a job redelivered after its transaction committed (its
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

export function factHandler(db: Database, deps: DriverDeps, onError: (error: unknown) => void) {
  return (jobs: BatchJob[]) =>
    Promise.all(
      jobs.map(async (job) => {
        try {
          await processWithPatience(db, deps, job);
          return { id: job.id, status: 'completed' as const };
        } catch (error) {
          onError(error);
          return { id: job.id, status: 'failed' as const, output: { error: error instanceof Error ? error.message : String(error) } };
        }
      }),
    );
}
