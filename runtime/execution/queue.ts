/**
 * pg-boss holds the work: one queue of run facts. A fact job is `{ runId, fact }`; timers are the same jobs
 * deferred with `startAfter`, so a delay or a wait survives restarts and is never a timer in memory.
 */
import { PgBoss } from 'pg-boss';
import type { Fact } from '../engine/index.ts';
import { coalescingStream } from '../db/coalescing-socket.ts';
import { listen } from '../db/listen.ts';
import type { SqlClient } from '../db/sql-client.ts';

export const RUN_QUEUE = 'herald-run';
/**
 * Where a fact job goes once it has failed every retry (pg-boss's dead letter): its run is ended as `failed`
 * with the job's last error (worker.ts), so no run is ever left waiting on a job that will not come.
 */
export const DEAD_QUEUE = 'herald-run-dead';
export const DAY_SECONDS = 86_400;

export interface FactJob {
  runId: string;
  fact: Fact;
  /**
   * A start job made from a local start its process did not apply (local-starts.ts): `sweep` when the lease
   * passed (the process died, or its start failed), `stop` when it stopped first. For the record; the job is
   * worked like any other.
   */
  origin?: 'sweep' | 'stop';
}

/** A run's start as a job: its fact carries when the trigger was accepted, and the run's delays count from it. */
export function startJob(runId: string, acceptedAt: number, origin?: FactJob['origin']): FactJob {
  return { runId, fact: { type: 'start', now: acceptedAt }, ...(origin ? { origin } : {}) };
}

type BossDb = { executeSql(text: string, values?: unknown[]): Promise<{ rows: unknown[] }> };

/** A transaction client as pg-boss's `db`, so jobs are created inside the caller's transaction. */
export function asBossDb(client: SqlClient): BossDb {
  return { executeSql: (text, values) => client.query(text, values) };
}

/**
 * pg-boss on `url`. Everything it runs there is transaction-scoped (its advisory locks are `_xact_` locks, its
 * settings `SET LOCAL`, its statements unnamed), so `url` may be a transaction pooler; only its LISTEN needs a
 * session, and with `listenUrl` (DATABASE_DIRECT_URL) it is held there, by db/listen.ts, instead.
 */
export function createBoss(url: string, onError: (error: Error) => void, listenUrl?: string): PgBoss {
  const options: ConstructorParameters<typeof PgBoss>[0] & object = {
    connectionString: url,
    schema: 'pgboss',
    useListenNotify: true,
    max: 10,
    // How soon a job stranded by a dead process or a database outage (its completion could not be written)
    // is noticed and retried: the supervisor's pass, gated per queue by the monitor interval.
    superviseIntervalSeconds: 10,
    monitorIntervalSeconds: 10,
  };
  // pg-boss hands its options to pg.Pool, whose `stream` option its types do not list.
  const boss = new PgBoss(Object.assign(options, { stream: coalescingStream }));
  boss.on('error', onError);
  if (listenUrl) listenElsewhere(boss, listenUrl, onError);
  return boss;
}

/**
 * pg-boss's own listener connects to its pool's URL; through a transaction pooler its LISTEN would hold no
 * session (notifications lost, its heartbeat failing). `listen` is the capability pg-boss asks its database for
 * (IDatabase.listen): ours holds the connection at `url` and re-LISTENs after a loss, calling `onReconnect` so
 * pg-boss fetches what it may have missed meanwhile. A NOTIFY only wakes workers early: polling still runs.
 */
function listenElsewhere(boss: PgBoss, url: string, onError: (error: Error) => void): void {
  const db = boss.getDb();
  db.listen = async (channel, onNotification, onReconnect) =>
    listen({
      url,
      channel,
      onNotify: (payload) => {
        if (payload !== undefined) onNotification(payload);
      },
      onListening: onReconnect,
      onError: (error) =>
        onError(new Error(`pg-boss listener (DATABASE_DIRECT_URL): ${error instanceof Error ? error.message : String(error)}`, { cause: error })),
    });
}

/** Jobs must outlive the longest wait the bundle allows (retention), with a day to spare. */
export function queueOptions(retentionMs: number) {
  return {
    retryLimit: 8,
    retryDelay: 1,
    retryBackoff: true,
    retryDelayMax: 300,
    // A fact job is short (a few queries and provider calls, each with its own timeout). A job whose worker
    // died or lost the database stops heartbeating and is retried after ~10–20 s rather than at expiry.
    expireInSeconds: 120,
    heartbeatSeconds: 10,
    retentionSeconds: Math.max(14 * DAY_SECONDS, Math.ceil(retentionMs / 1000) + DAY_SECONDS),
    deleteAfterSeconds: DAY_SECONDS,
    notify: true,
    deadLetter: DEAD_QUEUE,
  };
}

export async function ensureQueue(boss: PgBoss, retentionMs: number): Promise<void> {
  if (!(await boss.getQueue(DEAD_QUEUE)))
    await boss.createQueue(DEAD_QUEUE, { retryLimit: 8, retryDelay: 5, retryBackoff: true, deleteAfterSeconds: 30 * DAY_SECONDS });
  const options = queueOptions(retentionMs);
  const existing = await boss.getQueue(RUN_QUEUE);
  if (!existing) return void (await boss.createQueue(RUN_QUEUE, options));
  // Retention only grows: runs of an older bundle with a longer wait may still be waiting.
  const wanted = { ...options, retentionSeconds: Math.max(options.retentionSeconds, existing.retentionSeconds ?? 0) };
  const current = existing as unknown as Record<string, unknown>;
  if (Object.entries(wanted).some(([key, value]) => current[key] !== value)) await boss.updateQueue(RUN_QUEUE, wanted);
}

/**
 * How a process works the queue: up to `workers` jobs in flight, as up to four batches (a batch waits for its
 * slowest job, so several batches keep one slow provider call from holding everything), each batch applied
 * in one transaction (worker.ts). Batches are fetched again at once while they come back full (a backlog
 * drains at database speed, not at the polling rate), and a short poll picks up deferred jobs coming due
 * (NOTIFY wakes workers for new jobs only). `workers: 1` works one job at a time.
 */
export function workOptions(workers: number) {
  const localConcurrency = Math.min(4, workers);
  return {
    batchSize: Math.ceil(workers / localConcurrency),
    localConcurrency,
    burstWhenBatchFull: true,
    perJobResults: true,
    pollingIntervalSeconds: 0.5,
    notifyPollingIntervalSeconds: 0.5,
  } as const;
}

/** A fact to enqueue, due at once or at `at` (ms since the epoch). */
export interface FactDelivery {
  job: FactJob;
  at?: number;
}

/** Enqueues facts for runs in one statement, inside `client`'s transaction when given. */
export async function sendFacts(boss: PgBoss, facts: FactDelivery[], options: { client?: SqlClient } = {}): Promise<void> {
  if (facts.length === 0) return;
  await boss.insert(
    RUN_QUEUE,
    facts.map((f) => ({ data: f.job as unknown as object, ...(f.at === undefined ? {} : { startAfter: new Date(f.at).toISOString() }) })),
    options.client ? { db: asBossDb(options.client) } : {},
  );
}

/** Enqueues one fact for a run, inside `client`'s transaction when given. */
export function sendFact(boss: PgBoss, job: FactJob, options: { client?: SqlClient; at?: number } = {}): Promise<void> {
  return sendFacts(boss, [{ job, ...(options.at === undefined ? {} : { at: options.at }) }], options);
}
