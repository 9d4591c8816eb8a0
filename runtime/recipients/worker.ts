/** The fan-out queue's worker: each page job applied in its own transaction (page.ts). Registered by server.ts. */
import type { PgBoss } from 'pg-boss';
import type { Database } from '../db/pool.ts';
import { failpoint } from '../failpoints.ts';
import type { FanoutDeps } from './fanouts.ts';
import { workCancelRuns } from './cancel-runs.ts';
import { runPage } from './page.ts';
import { ensureFanoutQueue, FANOUT_QUEUE, type PageJob } from './queue.ts';

/**
 * How long one job may go on running the pages of a fan-out with no rate, each in its own transaction, before it
 * leaves the rest to the queue (so other fan-outs get their turn): a hop through the queue per page would cost a
 * fetch and a completion each, more than a page's own work.
 */
const CHAIN_BUDGET_MS = 10_000;

/** A page job, then, while the fan-out has no rate and the budget lasts, the pages after it. */
async function runPages(deps: FanoutDeps, db: Database, first: PageJob): Promise<void> {
  const started = Date.now();
  let job: PageJob | null = first;
  while (job) {
    let next: PageJob | null = null;
    const chain = Date.now() - started < CHAIN_BUDGET_MS;
    const outcome = await runPage(deps, db, job, chain ? (n) => (next = n) : undefined);
    // The fault suite's kill -9 after a page committed, pg-boss not yet told: the job comes back and finds the cursor moved on.
    if (outcome === 'page' || outcome === 'done') failpoint('fanout.after-commit');
    job = next;
  }
}

/**
 * Creates the queues and works them: a few pages at once per process (each its own fan-out's row lock), and the
 * chunks of a cancel (cancel-runs.ts).
 */
export async function workFanouts(boss: PgBoss, db: Database, deps: FanoutDeps, onError: (error: unknown) => void): Promise<void> {
  await workCancelRuns(boss, db, deps.driver, onError);
  await ensureFanoutQueue(boss);
  await boss.work(
    FANOUT_QUEUE,
    { batchSize: 1, localConcurrency: 2, pollingIntervalSeconds: 0.5, notifyPollingIntervalSeconds: 0.5 },
    async (jobs: { data: PageJob }[]) => {
      for (const job of jobs) {
        try {
          await runPages(deps, db, job.data);
        } catch (error) {
          // Rolled back whole: pg-boss retries the page from the same cursor.
          onError(error);
          throw error;
        }
      }
    },
  );
}
