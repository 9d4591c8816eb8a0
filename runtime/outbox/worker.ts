/**
 * The delivery workers: a polling loop per process that leases due heads (sql.ts `claimHeads`: per endpoint and
 * user, the oldest pending delivery, so each user's events arrive in order) and posts them, at most
 * `concurrency` at a time, each with a deadline; every attempt is recorded, a failure retried with backoff
 * (backoff.ts) and dead-lettered after 3 days. Many processes share the work: SKIP LOCKED and the lease keep two
 * from posting the same delivery, and a lease that lapses (a process killed mid-post) hands it to another.
 *
 * Not pg-boss: the run queue's workers are what sends messages, and a dead endpoint must never hold one of their
 * slots; and "a user's later events wait behind a failing one" is a query over the deliveries, not a job option.
 * The loop uses the process's pool: single statements (a claim, an attempt's outcome), and no connection held
 * while it posts, so a slow endpoint holds none of the sends' connections.
 */
import { rows, exec, type SqlClient } from '../db/sql-client.ts';
import { type BackoffPolicy, DEFAULT_MAX_AGE_MS, retryIn } from './backoff.ts';
import type { OutboundEvent } from './event-types.ts';
import { type AttemptResult, postEvent } from './post.ts';
import type { SegmentDestination } from './segment.ts';
import * as sql from './sql.ts';

export interface OutboxWorkerOptions {
  /** Posts in flight at once in this process. */
  concurrency?: number;
  /** One attempt's deadline. */
  timeoutMs?: number;
  /** The first retry's delay (backoff.ts). */
  backoffBaseMs?: number;
  segment?: SegmentDestination | null;
  onError?: (error: unknown) => void;
}

export interface OutboxWorker {
  /** Looks now rather than at the next poll. */
  wake(): void;
  stop(): Promise<void>;
}

/**
 * perEndpoint: posts in flight at once to one endpoint (sql.ts `claimHeads`), so a slow endpoint never takes every
 * slot; pollMs: how often an idle loop looks for due deliveries.
 */
export const DEFAULTS = { concurrency: 16, perEndpoint: 4, pollMs: 500, timeoutMs: 10_000, backoffBaseMs: 5_000 };

function eventOf(row: sql.ClaimedRow): OutboundEvent {
  return { id: row.event_id, type: row.type, timestamp: new Date(row.event_created_at).toISOString(), data: row.data };
}

async function attempt(row: sql.ClaimedRow, timeoutMs: number, segment: SegmentDestination | null | undefined): Promise<AttemptResult> {
  if (row.kind === 'segment') {
    if (!segment) return { ok: false, permanent: false, statusCode: null, error: 'SEGMENT_DESTINATION_WRITE_KEY is not set in this process' };
    try {
      await segment.send(eventOf(row));
      return { ok: true, permanent: false, statusCode: null, error: null };
    } catch (error) {
      return { ok: false, permanent: false, statusCode: null, error: error instanceof Error ? error.message : String(error) };
    }
  }
  if (!row.url || !row.secret) return { ok: false, permanent: true, statusCode: null, error: 'the endpoint has no url or secret' };
  return postEvent(row.url, row.secret, eventOf(row), timeoutMs);
}

export function startOutboxWorker(db: SqlClient, options: OutboxWorkerOptions = {}): OutboxWorker {
  const concurrency = options.concurrency ?? DEFAULTS.concurrency;
  const { perEndpoint, pollMs } = DEFAULTS;
  const timeoutMs = options.timeoutMs ?? DEFAULTS.timeoutMs;
  const policy: BackoffPolicy = { baseMs: options.backoffBaseMs ?? DEFAULTS.backoffBaseMs, maxAgeMs: DEFAULT_MAX_AGE_MS };
  // A lease outlives the attempt's deadline (and the write of its outcome), so a slow answer is never posted twice
  // at once; short enough that a killed process's deliveries move on within seconds.
  const leaseMs = timeoutMs + 2_000;
  const onError = options.onError ?? (() => {});
  let inFlight = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let looking: Promise<void> | null = null;
  let again = false;
  const running = new Set<Promise<void>>();

  const deliver = async (row: sql.ClaimedRow) => {
    const started = performance.now();
    const result = await attempt(row, timeoutMs, options.segment);
    const durationMs = performance.now() - started;
    const retry = result.ok || result.permanent ? null : retryIn(row.attempts, new Date(row.created_at).getTime(), Date.now(), policy);
    await exec(db, sql.recordAttempt(row.id, { ok: result.ok, statusCode: result.statusCode, error: result.error, durationMs, retryInMs: retry }));
  };

  const look = async () => {
    while (!stopped && inFlight < concurrency) {
      const claimed = await rows<sql.ClaimedRow>(db, sql.claimHeads(concurrency - inFlight, leaseMs, perEndpoint));
      for (const row of claimed) {
        inFlight++;
        const done = deliver(row)
          .catch(onError)
          .finally(() => {
            inFlight--;
            running.delete(done);
            // A delivered head lets the user's next event go: look again at once, once half the slots are free
            // (a claim per delivery would read the pending heads as often as it posts).
            if (inFlight <= concurrency / 2) wake();
          });
        running.add(done);
      }
      if (claimed.length === 0) break;
    }
  };

  function wake() {
    if (stopped) return;
    if (looking) {
      again = true;
      return;
    }
    looking = look()
      .catch(onError)
      .finally(() => {
        looking = null;
        if (again) {
          again = false;
          wake();
        }
      });
  }

  const tick = () => {
    wake();
    if (!stopped) timer = setTimeout(tick, pollMs);
  };
  tick();

  return {
    wake,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await looking;
      // Posts in flight finish (each has its deadline); their leases would otherwise hold them for a while.
      await Promise.allSettled([...running]);
    },
  };
}
