/**
 * Versioned, forward-only migrations (runtime/db/migrate.ts) on a real PostgreSQL: applied once, in order,
 * safe with several processes starting at once; a database of a release before versioned migrations is
 * upgraded in place with its data; a database this release cannot understand is refused with what to do;
 * `herald migrate --dry-run` says what would change and changes nothing.
 */
import { heraldBin } from '../../compiler/installation.ts';
import { spawnSync } from 'node:child_process';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { MIGRATIONS, migrate, MigrationError, migrationStatus } from '../../runtime/db/migrate.ts';
import { type Database, openDatabase } from '../../runtime/db/pool.ts';
import { freshDatabase } from '../setup/database.ts';

const open: Database[] = [];
const connect = (url: string) => {
  const db = openDatabase(url, { max: 2 });
  open.push(db);
  return db;
};
afterEach(async () => {
  await Promise.all(open.splice(0).map((db) => db.close()));
});

const ledger = async (db: Database) => (await db.query<{ id: number; name: string }>('SELECT id, name FROM herald.schema_migrations ORDER BY id')).rows;
const latest = MIGRATIONS.at(-1)!;

describe('migrations', () => {
  it('applies every migration once, in order, and then finds nothing to do', async () => {
    const db = connect(await freshDatabase('migrate_fresh'));
    expect((await migrationStatus(db)).pending.map((m) => m.id)).toEqual(MIGRATIONS.map((m) => m.id));
    expect((await migrate(db)).map((m) => m.id)).toEqual(MIGRATIONS.map((m) => m.id));
    expect(await ledger(db)).toEqual(MIGRATIONS.map(({ id, name }) => ({ id, name })));
    expect(await migrate(db)).toEqual([]);
    expect((await migrationStatus(db)).pending).toEqual([]);
  });

  it('is safe with several processes starting at once: one applies, the others wait and find it done', async () => {
    const url = await freshDatabase('migrate_race');
    const results = await Promise.all([1, 2, 3, 4].map(() => migrate(connect(url))));
    expect(results.filter((r) => r.length > 0)).toHaveLength(1);
    expect(await ledger(connect(url))).toHaveLength(MIGRATIONS.length);
  });

  it('upgrades a database of the release before versioned migrations in place, keeping its data', async () => {
    const url = await freshDatabase('migrate_upgrade');
    const db = connect(url);
    // What that release left: the schema of its one idempotent script, and its hash in herald.schema_version.
    await db.query(MIGRATIONS[0]!.sql);
    await db.query('CREATE TABLE herald.schema_version (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
    await db.query("INSERT INTO herald.schema_version (version) VALUES ('0a1b2c')");
    await db.query(`INSERT INTO herald.bundles (version, bundle) VALUES ('v-old', '{"version":"v-old"}')`);
    expect((await migrate(db)).map((m) => m.id)).toEqual(MIGRATIONS.map((m) => m.id));
    expect((await db.query('SELECT version FROM herald.bundles')).rows).toEqual([{ version: 'v-old' }]);
    expect(await migrate(db)).toEqual([]);
  });

  it('refuses a database a newer release migrated, and a migration edited after it shipped, saying what to do', async () => {
    const db = connect(await freshDatabase('migrate_refuse'));
    await migrate(db);
    await db.query("INSERT INTO herald.schema_migrations (id, name, checksum) VALUES (9999, 'from-the-future', 'x')");
    await expect(migrate(db)).rejects.toThrow(MigrationError);
    await expect(migrationStatus(db)).rejects.toThrow(/migration 9999 \(from-the-future\).*newer release.*Run that release or a newer one/);
    await db.query('DELETE FROM herald.schema_migrations WHERE id = 9999');
    await db.query('UPDATE herald.schema_migrations SET checksum = $1 WHERE id = $2', ['edited', latest.id]);
    await expect(migrationStatus(db)).rejects.toThrow(
      new RegExp(`migration ${latest.id} \\(${latest.name}\\) was applied with a different text.*add the change as a new migration`),
    );
  });
});

describe('herald migrate', () => {
  const herald = (args: string[], env: NodeJS.ProcessEnv) =>
    spawnSync(process.execPath, [heraldBin, 'migrate', ...args], { env: { PATH: process.env.PATH, ...env }, encoding: 'utf8', timeout: 60_000 });

  it('--dry-run prints what would be applied, with its SQL, and changes nothing; then migrate applies it', async () => {
    const url = await freshDatabase('migrate_cli');
    const dry = herald(['--dry-run'], { DATABASE_URL: url });
    expect(dry.status, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(`pending   ${latest.id} ${latest.name}`);
    expect(dry.stdout).toContain('CREATE TABLE IF NOT EXISTS herald.runs');
    expect(dry.stdout).toContain('CREATE TABLE IF NOT EXISTS herald.send_receipts');
    expect(dry.stdout).toMatch(/would be applied; nothing was changed \(--dry-run\)/);
    // Where, never with what credentials.
    expect(dry.stdout).not.toContain(`${new URL(url).username}:${new URL(url).password}@`);
    expect(dry.stdout).toContain(`database: ${new URL(url).hostname}`);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      expect((await client.query("SELECT to_regclass('herald.schema_migrations') AS t")).rows[0].t).toBeNull();
      const real = herald([], { DATABASE_URL: url });
      expect(real.status, real.stderr).toBe(0);
      expect(real.stdout).toContain(`migrated  ${latest.id} ${latest.name}`);
      const again = herald(['--json'], { DATABASE_URL: url });
      expect(JSON.parse(again.stdout)).toMatchObject({ dryRun: false, applied: [], alreadyApplied: MIGRATIONS.map(({ id, name }) => ({ id, name })) });
    } finally {
      await client.end();
    }
  });

  it('without DATABASE_URL: exit 2, saying what to set', () => {
    const run = herald(['--dry-run'], {});
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/herald migrate needs DATABASE_URL/);
  });
});
