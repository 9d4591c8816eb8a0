/**
 * How far behind the runtime is, read from PostgreSQL (the runtime does not export it): run-queue jobs
 * that are due and not yet picked up, and events waiting in the typed client's ingest table.
 */
export interface QueryClient {
  query<R>(text: string, values?: unknown[]): Promise<{ rows: R[] }>;
}

export interface Backlog {
  queueDepth: number;
  queueOldestAgeSeconds: number;
  ingestBacklog: number;
  ingestOldestAgeSeconds: number;
}

/** Deferred jobs (delays, waits: start_after in the future) are timers, not backlog, so only due ones count. */
const RUN_QUEUE_SQL = `
  SELECT count(*)::int AS depth,
         coalesce(extract(epoch FROM now() - min(start_after)), 0)::float8 AS oldest
    FROM pgboss.job
   WHERE name = $1 AND state IN ('created', 'retry') AND start_after <= now()`;

const INGEST_SQL = `
  SELECT count(*)::int AS depth,
         coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8 AS oldest
    FROM herald.ingest`;

export async function readBacklog(client: QueryClient, runQueue: string): Promise<Backlog> {
  type Row = { depth: number; oldest: number };
  const run = (await client.query<Row>(RUN_QUEUE_SQL, [runQueue])).rows[0];
  const ingest = (await client.query<Row>(INGEST_SQL)).rows[0];
  return {
    queueDepth: run?.depth ?? 0,
    queueOldestAgeSeconds: Math.max(0, run?.oldest ?? 0),
    ingestBacklog: ingest?.depth ?? 0,
    ingestOldestAgeSeconds: Math.max(0, ingest?.oldest ?? 0),
  };
}
