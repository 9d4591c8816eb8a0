/**
 * The read schema's views (migration 11) name the message log by the table it was when they were made. On a
 * database whose log is then turned partitioned (partitions.ts), that is the old table, now the first
 * partition: the views would read one partition, and would keep it from ever being dropped. So partitions.ts
 * asks, after converting and before dropping, and views that do not read the partitioned parent are made again
 * over it (one catalogue probe; the views made again only then).
 */
import { sql as readViews } from './migrations/0011-read-views.ts';
import type { SqlClient } from './sql-client.ts';

export async function ensureReadViews(db: SqlClient): Promise<boolean> {
  const { rows } = await db.query<{ stale: boolean }>(
    `SELECT to_regclass('herald_views.messages') IS NOT NULL AND NOT EXISTS (
       SELECT 1 FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid
       WHERE r.ev_class = to_regclass('herald_views.messages') AND d.refobjid = 'herald.messages'::regclass
     ) AS stale`,
  );
  if (!rows[0]?.stale) return false;
  await db.query(readViews);
  return true;
}
