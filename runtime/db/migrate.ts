/**
 * Herald's tables, in their own schema beside pg-boss's, by versioned, forward-only migrations
 * (`migrations/`): each applied once, in order, in one transaction under an advisory lock, and recorded in
 * `herald.schema_migrations` with a checksum of its text. The first process of a new release to start applies
 * what is pending; others starting at the same time wait on the lock, then find nothing to do. A database
 * written by a newer release, or a migration whose text changed since it was applied, is refused with what to
 * do, never guessed at.
 *
 * Rules for a new migration (they keep an upgrade online): add, never rewrite — new tables, nullable columns
 * or columns with a constant default, indexes built without blocking writes where the table is large; a
 * migration that must backfill does it in batches from the runtime, not here.
 */
import { createHash } from 'node:crypto';
import * as baseline from './migrations/0001-baseline.ts';
import * as sendReceipts from './migrations/0002-send-receipts.ts';
import * as timePartitions from './migrations/0003-time-partitions.ts';
import * as keyedWaits from './migrations/0004-keyed-waits.ts';
import * as inboxEngagement from './migrations/0005-inbox-engagement.ts';
import * as frequencyCaps from './migrations/0006-frequency-caps.ts';
import * as lists from './migrations/0007-lists.ts';
import * as audiences from './migrations/0008-audiences.ts';
import * as tenants from './migrations/0009-tenants.ts';
import * as outbox from './migrations/0010-outbox.ts';
import * as readViews from './migrations/0011-read-views.ts';
import type { SqlClient } from './sql-client.ts';

export interface Migration {
  id: number;
  name: string;
  sql: string;
}

/** Every migration of this release, in order. Append only. */
export const MIGRATIONS: readonly Migration[] = [
  { id: 1, name: 'baseline', sql: baseline.sql },
  { id: 2, name: 'send-receipts', sql: sendReceipts.sql },
  { id: 3, name: 'time-partitions', sql: timePartitions.sql },
  { id: 4, name: 'keyed-waits', sql: keyedWaits.sql },
  { id: 5, name: 'inbox-engagement', sql: inboxEngagement.sql },
  { id: 6, name: 'frequency-caps', sql: frequencyCaps.sql },
  { id: 7, name: 'lists', sql: lists.sql },
  { id: 8, name: 'audiences', sql: audiences.sql },
  { id: 9, name: 'tenants', sql: tenants.sql },
  { id: 10, name: 'outbox', sql: outbox.sql },
  { id: 11, name: 'read-views', sql: readViews.sql },
];

export interface AppliedMigration {
  id: number;
  name: string;
  appliedAt: string;
}

export interface MigrationStatus {
  applied: AppliedMigration[];
  pending: Migration[];
}

/** The database and this release disagree about migrations: not something a retry fixes. */
export class MigrationError extends Error {
  override name = 'MigrationError';
}

const checksum = (m: Migration) => createHash('sha256').update(m.sql).digest('hex');

const LEDGER = `CREATE TABLE IF NOT EXISTS herald.schema_migrations (
  id integer PRIMARY KEY,
  name text NOT NULL,
  checksum text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
)`;

/** How long a migration waits for a table lock before giving up (and trying again): never queue live traffic behind it. */
const LOCK_TIMEOUT = '10s';
const ATTEMPTS = 3;

/** What is applied and what is pending; refuses a database this release cannot safely migrate. */
export async function migrationStatus(client: SqlClient): Promise<MigrationStatus> {
  // Two statements: a query naming a table that does not exist yet fails when parsed, whatever guards it. The
  // catalog is read as a table (the statement's snapshot), not through to_regclass: that resolves the name with the
  // backend's cached catalog, which a process that waited for the migration lock may not have refreshed since
  // another process created the ledger — it then applied every migration again (a duplicate ledger key).
  const present = await client.query<{ present: boolean }>(
    "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'herald' AND c.relname = 'schema_migrations') AS present",
  );
  const rows = present.rows[0]?.present
    ? (
        await client.query<{ id: number; name: string; checksum: string; applied_at: Date }>(
          'SELECT id, name, checksum, applied_at FROM herald.schema_migrations ORDER BY id',
        )
      ).rows
    : [];
  const known = new Map(MIGRATIONS.map((m) => [m.id, m]));
  for (const row of rows) {
    const migration = known.get(row.id);
    if (!migration) {
      throw new MigrationError(
        `the database has migration ${row.id} (${row.name}), which this release of Herald does not know: a newer release migrated it. Run that release or a newer one; migrations never go backwards.`,
      );
    }
    if (checksum(migration) !== row.checksum) {
      throw new MigrationError(
        `migration ${row.id} (${row.name}) was applied with a different text than this release's: a migration was edited after it shipped. Restore its original text and add the change as a new migration.`,
      );
    }
  }
  const applied = new Set(rows.map((r) => r.id));
  return {
    applied: rows.map((r) => ({ id: r.id, name: r.name, appliedAt: r.applied_at.toISOString() })),
    pending: MIGRATIONS.filter((m) => !applied.has(m.id)),
  };
}

/**
 * Applies the pending migrations; returns them (none when the database is up to date). Reads first without a
 * lock: running even idempotent DDL takes table locks, and a process joining a busy database only reads.
 */
export async function migrate(db: SqlClient & { transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T> }): Promise<Migration[]> {
  if ((await migrationStatus(db)).pending.length === 0) return [];
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction(async (tx) => {
        await tx.query("SELECT pg_advisory_xact_lock(hashtext('herald.migrate'))");
        await tx.query(`SET LOCAL lock_timeout = '${LOCK_TIMEOUT}'`);
        const { pending } = await migrationStatus(tx);
        if (pending.length === 0) return [];
        await tx.query('CREATE SCHEMA IF NOT EXISTS herald');
        await tx.query(LEDGER);
        for (const migration of pending) {
          await tx.query(migration.sql);
          await tx.query('INSERT INTO herald.schema_migrations (id, name, checksum) VALUES ($1, $2, $3)', [migration.id, migration.name, checksum(migration)]);
        }
        return pending;
      });
    } catch (error) {
      // 55P03: lock_timeout. Live statements held a table a little too long: let them finish, then try again.
      if ((error as { code?: string }).code !== '55P03' || attempt >= ATTEMPTS) throw error;
    }
  }
}
