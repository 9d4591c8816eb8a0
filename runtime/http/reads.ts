/**
 * Which database a read-only route reads, when DATABASE_READ_URL names a read replica (runtime/README.md,
 * "Reads off the primary"). Only GET routes of the dashboard, the message log, the audit log and the export
 * call these; everything that writes, and everything the engine reads, uses the primary (`deps.db`) directly.
 *
 * - A scan (a list, a dashboard page, the export) reads the replica. When the replica is down it answers
 *   503: sending every list and export to the primary at the moment its replica fails is the load the
 *   replica was there to take off it.
 * - A lookup by id (a message, a run) reads the replica, then the primary when the row is not there: a client
 *   that triggers and then asks for its message or run at once finds it even though the replica has not
 *   replayed it yet. It also falls back when the replica is down (one row by key costs the primary little).
 * - `Herald-Consistency: strong` sends either to the primary (`eventual`, the default, is the above).
 */
import type { Context } from 'hono';
import type { Database } from '../db/pool.ts';
import { ReplicaUnavailableError } from '../db/read-replica.ts';
import type { AppDeps } from './deps.ts';
import { HttpError } from './errors.ts';

export const CONSISTENCY_HEADER = 'Herald-Consistency';

type ReadDeps = Pick<AppDeps, 'db' | 'readDb' | 'metrics'>;

/** True when the request asks to read the primary; a value that is neither strong nor eventual is a 400. */
function wantsPrimary(c: Context): boolean {
  const asked = c.req.header(CONSISTENCY_HEADER)?.trim().toLowerCase();
  if (asked === undefined || asked === '' || asked === 'eventual') return false;
  if (asked === 'strong') return true;
  throw new HttpError(
    400,
    'invalid_request',
    `${CONSISTENCY_HEADER}: "${c.req.header(CONSISTENCY_HEADER)}" is not a consistency: send strong (read the primary) or eventual (the default: the read replica when DATABASE_READ_URL is set)`,
  );
}

/** The database a scan reads: the replica unless there is none or the request asks for `strong`. */
export function scanDatabase(c: Context, deps: ReadDeps): Database {
  return deps.readDb && !wantsPrimary(c) ? deps.readDb : deps.db;
}

/**
 * `find` on the replica, then on the primary when the replica has no such row (not replayed yet) or cannot be
 * reached. The answer is the replica's when it has the row: as old as the replica's lag, never a false 404.
 */
export async function lookupFresh<T>(c: Context, deps: ReadDeps, find: (db: Database) => Promise<T | null | undefined>): Promise<T | null | undefined> {
  if (!deps.readDb || wantsPrimary(c)) return find(deps.db);
  try {
    const found = await find(deps.readDb);
    if (found !== null && found !== undefined) return found;
    deps.metrics.readFallbacks.inc({ reason: 'missing' });
  } catch (error) {
    if (!(error instanceof ReplicaUnavailableError)) throw error;
    deps.metrics.readFallbacks.inc({ reason: 'replica_unavailable' });
  }
  return find(deps.db);
}
