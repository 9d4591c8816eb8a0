/**
 * Retention, the two ways: the oldest day of the history leaves as the runtime's maintenance drops it
 * (db/partitions.ts maintainPartitions: DETACH PARTITION … CONCURRENTLY, then DROP TABLE), against DELETE of
 * the same rows from an unpartitioned copy (the message log before partitioning: one table, the same indexes)
 * holding that day and the next, followed by the VACUUM that DELETE leaves to do (autovacuum's, timed here).
 * Each side starts after a checkpoint, so each pays the full-page images of the pages it is first to change;
 * WAL is pg_current_wal_lsn() before and after (pg_wal_lsn_diff), on a server nothing else is writing to.
 */
import pg from 'pg';
import { maintainPartitions } from '../runtime/db/partitions.ts';
import { checkpoint } from './setup.ts';
import { DAY_MS, messageIndexes } from './scale-history.ts';

const COPY = 'bench_scale.messages_unpartitioned';

export interface Cost {
  ms: number;
  walBytes: number;
}

export interface Retention {
  day: string;
  rows: number;
  /** The unpartitioned copy: the day and the next, with herald.messages's indexes. */
  copyRows: number;
  copyBytes: number;
  partitionDrop: Cost & { dropped: string[] };
  delete: Cost;
  vacuumAfterDelete: Cost;
  /** The partition drop over DELETE alone, and over DELETE + VACUUM (lower is cheaper). */
  ratios: { timeToDelete: number; walToDelete: number; timeToDeleteAndVacuum: number; walToDeleteAndVacuum: number };
}

async function measure(admin: string, db: pg.Client, work: () => Promise<unknown>): Promise<Cost> {
  await checkpoint(admin);
  const before = (await db.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0]!.lsn;
  const t0 = performance.now();
  await work();
  const ms = performance.now() - t0;
  const { rows } = await db.query<{ bytes: string }>('SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn)::bigint AS bytes', [before]);
  return { ms: +ms.toFixed(1), walBytes: Number(rows[0]!.bytes) };
}

const ratio = (a: number, b: number) => +(a / Math.max(1, b)).toFixed(4);

/** Retires `day` (a UTC midnight, the oldest history day) both ways. The database's runtimes should be stopped. */
export async function measureRetention(admin: string, databaseUrl: string, day: number): Promise<Retention> {
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    await db.query("SET TimeZone = 'UTC'");
    await db.query("SET maintenance_work_mem = '512MB'");
    const from = new Date(day).toISOString();
    const next = new Date(day + DAY_MS).toISOString();
    const until = new Date(day + 2 * DAY_MS).toISOString();
    // The copy: the day and the next, loaded, then indexed (as a long-lived table's indexes would be, built up).
    await db.query('CREATE SCHEMA IF NOT EXISTS bench_scale');
    await db.query(`DROP TABLE IF EXISTS ${COPY}`);
    await db.query(`CREATE TABLE ${COPY} (LIKE herald.messages INCLUDING DEFAULTS INCLUDING STORAGE)`);
    await db.query(`INSERT INTO ${COPY} SELECT * FROM herald.messages WHERE created_at >= $1 AND created_at < $2 ORDER BY created_at`, [from, until]);
    for (const statement of messageIndexes(COPY)) await db.query(statement);
    await db.query(`VACUUM (ANALYZE) ${COPY}`);
    const counted = await db.query<{ rows: number; copy: number; bytes: string }>(
      `SELECT (SELECT count(*)::int FROM herald.messages WHERE created_at >= $1 AND created_at < $2) AS rows,
              (SELECT count(*)::int FROM ${COPY}) AS copy, pg_total_relation_size('${COPY}') AS bytes`,
      [from, next],
    );
    const { rows, copy, bytes } = counted.rows[0]!;

    process.stderr.write(`    DELETE of ${rows} rows from the unpartitioned copy…\n`);
    const deleted = await measure(admin, db, () => db.query(`DELETE FROM ${COPY} WHERE created_at < $1`, [next]));
    const vacuumed = await measure(admin, db, () => db.query(`VACUUM ${COPY}`));

    process.stderr.write('    the same day as a partition: DETACH … CONCURRENTLY, DROP (maintainPartitions)…\n');
    // The retention that makes this day the first one past it: everything before day + 1 goes, nothing after.
    const now = Date.now();
    let dropped: string[] = [];
    const drop = await measure(admin, db, async () => {
      dropped = (await maintainPartitions({ url: databaseUrl }, now - (day + DAY_MS), now)).dropped;
    });
    await db.query('DROP SCHEMA bench_scale CASCADE');
    return {
      day: from.slice(0, 10),
      rows,
      copyRows: copy,
      copyBytes: Number(bytes),
      partitionDrop: { ...drop, dropped },
      delete: deleted,
      vacuumAfterDelete: vacuumed,
      ratios: {
        timeToDelete: ratio(drop.ms, deleted.ms),
        walToDelete: ratio(drop.walBytes, deleted.walBytes),
        timeToDeleteAndVacuum: ratio(drop.ms, deleted.ms + vacuumed.ms),
        walToDeleteAndVacuum: ratio(drop.walBytes, deleted.walBytes + vacuumed.walBytes),
      },
    };
  } finally {
    await db.end();
  }
}
