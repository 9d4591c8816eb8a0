/**
 * Local starts: a run whose trigger this process accepted is started by this process, right after the
 * accepting transaction commits, rather than through a start job in the queue. For a short run the start job
 * was most of what it cost the database — a row inserted, then fetched and completed in pg-boss's tables,
 * each its own commit — while the run's own row already records, durably, that the run exists: its
 * `start_pending` flag says the start is still to be applied, and the start's turn clears it in the same
 * transaction as the run's new state.
 *
 * Nothing accepted is lost: a run whose process dies (or fails its start) before the start is applied stays
 * start_pending, and every process sweeps such runs older than the lease into the queue as start jobs, with
 * the queue's retries and dead letter. A start applied twice (a sweep racing a slow process) changes nothing
 * the second time: the engine ignores the start of a started run, and each turn holds the run's row lock.
 *
 * Bounded: at most `capacity` runs wait here. Past that (a burst faster than this process's turns) new runs
 * get start jobs as before, which any process may take. Local starts share the process's jobs in flight
 * (slots.ts) with the queue's batches.
 */
import { isConnectionError, type Database } from '../db/pool.ts';
import * as sql from '../db/sql.ts';
import { rows } from '../db/sql-client.ts';
import type { ExecutionDeps } from './deps.ts';
import { sendFacts, startJob } from './queue.ts';
import type { Slots } from './slots.ts';
import { factHandler } from './worker.ts';

export interface LocalStarts {
  /** Whether `count` more runs may be started here, rather than by start jobs. */
  hasRoom(count: number): boolean;
  /** Starts runs whose rows were committed with start_pending, as of `acceptedAt` (delays count from it). */
  start(runIds: string[], acceptedAt: number): void;
  /** Hands runs left start_pending past the lease (their process died) to the queue; resolves with how many. */
  sweep(): Promise<number>;
  /**
   * Stops taking runs: those not begun go to the queue now, those in flight get until `timeoutMs` to finish
   * (then their provider calls are aborted, and the sweep of any process takes them later).
   */
  stop(timeoutMs: number): Promise<void>;
  /** Runs waiting here or in flight. */
  readonly pending: number;
}

export interface LocalStartsOptions {
  slots: Slots;
  /** Runs applied in one transaction. */
  batchSize: number;
  /** Runs waiting here or in flight before new runs get start jobs instead. */
  capacity: number;
  /** How old a pending start must be before a sweep takes it from its process. */
  leaseMs?: number;
  sweepEveryMs?: number;
  onError(error: unknown): void;
  /** Runs given to the queue as start jobs: swept (past the lease) or at stop. */
  onHandOver?(reason: 'sweep' | 'stop', count: number): void;
}

/** Long enough that a live process has started its runs (its queue is bounded), short enough to recover soon. */
export const START_LEASE_MS = 10_000;
export const SWEEP_EVERY_MS = 5_000;
/** Batches waiting for slots or in flight at once. */
const PARALLEL_BATCHES = 4;
const SWEEP_LIMIT = 500;

export function createLocalStarts(db: Database, deps: ExecutionDeps, options: LocalStartsOptions): LocalStarts {
  const leaseMs = options.leaseMs ?? START_LEASE_MS;
  const handle = factHandler(db, deps, options.onError);
  const queue: { runId: string; acceptedAt: number }[] = [];
  const inFlight = new Set<string>();
  /** Batches applying their runs now (stop waits for these, not for batches still waiting for slots). */
  const running = new Set<Promise<void>>();
  const drain = new AbortController();
  /** Runs of the queue earmarked for batches still waiting for their slots. */
  let earmarked = 0;
  let active = 0;
  let stopping = false;

  const report = (error: unknown) => {
    if (!isConnectionError(error)) options.onError(error);
  };

  /** Enqueues start jobs for pending starts (see sql.claimPendingStarts) in one transaction. */
  const handOver = (origin: 'sweep' | 'stop', ids: string[], olderThanMs: number, exclude: string[]) =>
    db
      .transaction(async (tx) => {
        const claimed = await rows<{ id: string; created_ms: number }>(
          tx,
          sql.claimPendingStarts({ ids, olderThanMs, exclude, limit: ids.length || SWEEP_LIMIT }),
        );
        await sendFacts(
          deps.boss,
          claimed.map((r) => ({ job: startJob(r.id, r.created_ms, origin) })),
          { client: tx },
        );
        return claimed.length;
      })
      .then((count) => {
        if (count > 0) options.onHandOver?.(origin, count);
        return count;
      });

  async function run(batch: { runId: string; acceptedAt: number }[]): Promise<void> {
    for (const { runId } of batch) inFlight.add(runId);
    try {
      // A start that fails stays start_pending: the sweep hands it to the queue, whose retries take over.
      await handle(batch.map(({ runId, acceptedAt }) => ({ id: runId, data: startJob(runId, acceptedAt), signal: drain.signal })));
    } finally {
      for (const { runId } of batch) inFlight.delete(runId);
    }
  }

  function pump(): void {
    while (!stopping && active < PARALLEL_BATCHES && queue.length > earmarked) {
      const count = Math.min(options.batchSize, queue.length - earmarked);
      earmarked += count;
      active++;
      void options.slots
        .acquire(count)
        .then((release) => {
          earmarked -= count;
          // Stopping meanwhile: the queue went to the start jobs.
          const runs = queue.splice(0, count);
          if (runs.length === 0) return release();
          const batch = run(runs)
            .catch(report)
            .finally(() => {
              release();
              running.delete(batch);
            });
          running.add(batch);
          return batch;
        })
        .finally(() => {
          active--;
          pump();
        });
    }
  }

  /** While stopping: what reaches the queue goes on to start jobs (stop waits for these hand-overs too). */
  const flushes = new Set<Promise<void>>();
  function flush(): Promise<void> {
    const done = (async () => {
      while (queue.length) {
        const ids = queue.splice(0).map((q) => q.runId);
        await handOver('stop', ids, 0, []).catch(report);
      }
    })().finally(() => flushes.delete(done));
    flushes.add(done);
    return done;
  }

  let sweeping: Promise<number> | null = null;
  const sweep = (): Promise<number> =>
    (sweeping ??= (async () => {
      let total = 0;
      try {
        for (;;) {
          const exclude = [...inFlight, ...queue.map((q) => q.runId)];
          const n = await handOver('sweep', [], leaseMs, exclude);
          total += n;
          if (n < SWEEP_LIMIT) return total;
        }
      } finally {
        sweeping = null;
      }
    })());
  const sweepQuietly = () => void sweep().catch(report);
  const timer = setInterval(sweepQuietly, options.sweepEveryMs ?? SWEEP_EVERY_MS);
  timer.unref();
  // Runs a process left behind before this one started (a restart after a crash) wait no longer than the lease.
  sweepQuietly();

  return {
    get pending() {
      return queue.length + inFlight.size;
    },
    hasRoom: (count) => !stopping && queue.length + inFlight.size + count <= options.capacity,
    start(runIds, acceptedAt) {
      for (const runId of runIds) queue.push({ runId, acceptedAt });
      if (stopping) void flush();
      else pump();
    },
    sweep,
    async stop(timeoutMs) {
      if (stopping) return;
      stopping = true;
      clearInterval(timer);
      const deadline = setTimeout(() => drain.abort(), timeoutMs);
      try {
        // What start() brings from now on is flushed by start() itself (and tracked in flushes).
        await flush();
        await Promise.allSettled([...running]);
        await Promise.allSettled([...flushes]);
        await sweeping?.catch(() => 0);
      } finally {
        clearTimeout(deadline);
      }
    },
  };
}
