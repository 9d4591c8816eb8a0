/**
 * The read replica's pool (DATABASE_READ_URL; runtime/README.md, "Reads off the primary"). Its connections are
 * read-only sessions (`default_transaction_read_only`): should a write ever be routed here, or the URL name a
 * server that accepts writes, the write fails rather than landing beside the primary's data. They are named
 * `herald-reads` in pg_stat_activity. An unreachable replica is a ReplicaUnavailableError of its own, so that
 * the answer names the replica (not "the database") and a lookup can fall back to the primary (http/reads.ts).
 */
import * as sql from './sql.ts';
import { isConnectionError, openDatabase, type Database } from './pool.ts';

/** The application_name of the read pool's sessions. */
export const READ_POOL_NAME = 'herald-reads';

/** The read replica did not answer: the connection failed, was refused or was cut. */
export class ReplicaUnavailableError extends Error {
  override name = 'ReplicaUnavailableError';
  constructor(cause: unknown) {
    super(
      'the read replica (DATABASE_READ_URL) is unreachable: lists, dashboard pages and the export read it. Retry shortly, send `Herald-Consistency: strong` to read from the primary, or check the replica (herald doctor)',
      { cause },
    );
  }
}

/**
 * A standby cancels a query whose rows its replay must remove (40001, "conflict with recovery": the hourly
 * partition drop does it to a long list) and a slow one times out (57014): the replica could not answer, as
 * when it is down, so a lookup goes to the primary and a list answers 503 rather than 500.
 */
function replicaCancelled(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code;
  return code === '40001' || code === '57014';
}

export function openReadReplica(url: string, options: { max?: number } = {}): Database {
  const db = openDatabase(url, { max: options.max ?? 10, settings: { default_transaction_read_only: 'on', application_name: READ_POOL_NAME } });
  const named = (error: unknown): never => {
    throw isConnectionError(error) || replicaCancelled(error) ? new ReplicaUnavailableError(error) : error;
  };
  return {
    url: db.url,
    query: <Row>(text: string, values?: unknown[]) => db.query<Row>(text, values).catch(named),
    transaction: (fn) => db.transaction(fn).catch(named),
    ping: (timeoutMs) => db.ping(timeoutMs),
    close: () => db.close(),
  };
}

export interface ReplicaStatus {
  reachable: boolean;
  /** In recovery (a physical standby); false for a server that is not one. */
  standby: boolean;
  /** Seconds its data is behind the primary's (sql.replicaStatus); null when unknown or not a standby. */
  lagSeconds: number | null;
}

/** Asked at each /readyz and /metrics: bounded by `timeoutMs`, never throws. */
export async function replicaStatus(db: Database, timeoutMs = 2_000): Promise<ReplicaStatus> {
  const statement = sql.replicaStatus();
  let timer: NodeJS.Timeout | undefined;
  try {
    const { rows } = await Promise.race([
      db.query<sql.ReplicaStatusRow>(statement.text, statement.values),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('replica status timeout')), timeoutMs);
      }),
    ]);
    const row = rows[0];
    return { reachable: true, standby: row?.standby === true, lagSeconds: row?.lag_seconds ?? null };
  } catch {
    return { reachable: false, standby: false, lagSeconds: null };
  } finally {
    clearTimeout(timer);
  }
}
