/**
 * This release's schema, as every start and `herald migrate` bring a database to it: the migrations
 * (migrate.ts), then the time partitions (partitions.ts: the logs turned partitioned online, the days ahead).
 */
import { migrate, type Migration } from './migrate.ts';
import { type PartitionReport, preparePartitions } from './partitions.ts';
import type { Database } from './pool.ts';

export async function upgradeSchema(db: Database, now = Date.now()): Promise<{ applied: Migration[]; partitions: PartitionReport }> {
  const applied = await migrate(db);
  return { applied, partitions: await preparePartitions(db, now) };
}
