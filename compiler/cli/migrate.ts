/**
 * `herald migrate [--dry-run] [--json]`: brings the database at DATABASE_URL up to this release's schema
 * (runtime/db/migrate.ts), or with `--dry-run` says what that would apply and changes nothing. `herald start`
 * migrates by itself; this verb is for a deploy step that migrates before the new processes start, and for
 * seeing what an upgrade will do. Exit 0 done (or nothing pending), 1 the database refuses (a newer release
 * migrated it, an edited migration), 2 no DATABASE_URL.
 */
import { EXIT, UsageError } from './exit.ts';

export async function migrateCommand(flags: { dryRun?: boolean; json?: boolean }, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const url = env.DATABASE_URL;
  if (!url) throw new UsageError('herald migrate needs DATABASE_URL: the database to migrate (herald start migrates its embedded one itself)');
  const { openDatabase } = await import('../../runtime/db/pool.ts');
  const { migrationStatus, MigrationError } = await import('../../runtime/db/migrate.ts');
  const { upgradeSchema } = await import('../../runtime/db/schema.ts');
  // DATABASE_DIRECT_URL set: DATABASE_URL is a transaction pooler, and the migrations go through it as herald
  // start's do (one transaction, transaction-scoped lock), with unnamed statements.
  const directUrl = env.DATABASE_DIRECT_URL?.trim() || undefined;
  const db = openDatabase(url, { max: 1, ...(directUrl ? { directUrl } : {}) });
  try {
    const status = await migrationStatus(db);
    // The migrations, then the time partitions (online: the old tables are checked and indexed without blocking their writers).
    const upgraded = flags.dryRun ? null : await upgradeSchema(db);
    const applied = upgraded?.applied ?? [];
    const partitions = upgraded?.partitions ?? null;
    const pending = flags.dryRun ? status.pending : [];
    if (flags.json) {
      const names = (list: { id: number; name: string }[]) => list.map(({ id, name }) => ({ id, name }));
      process.stdout.write(
        `${JSON.stringify({ dryRun: flags.dryRun === true, alreadyApplied: status.applied, applied: names(applied), pending: pending.map((m) => ({ id: m.id, name: m.name, sql: m.sql.trim() })), partitioned: partitions?.converted ?? [] }, null, 2)}\n`,
      );
      return EXIT.ok;
    }
    const lines = [`database: ${where(url)}`, ...status.applied.map((m) => `applied   ${m.id} ${m.name} (${m.appliedAt})`)];
    for (const m of applied) lines.push(`migrated  ${m.id} ${m.name}`);
    if (partitions?.converted.length) lines.push(`partitioned by day: ${partitions.converted.map((t) => `herald.${t}`).join(', ')}`);
    for (const m of pending)
      lines.push(
        `pending   ${m.id} ${m.name}`,
        ...m.sql
          .trim()
          .split('\n')
          .map((l) => `    ${l}`),
      );
    if (!applied.length && !pending.length) lines.push('up to date: nothing to apply');
    else if (flags.dryRun) lines.push(`${pending.length} migration${pending.length === 1 ? '' : 's'} would be applied; nothing was changed (--dry-run)`);
    process.stdout.write(`${lines.join('\n')}\n`);
    return EXIT.ok;
  } catch (error) {
    if (!(error instanceof MigrationError)) throw error;
    process.stderr.write(`herald migrate: ${error.message}\n`);
    return EXIT.problems;
  } finally {
    await db.close();
  }
}

/** The database's host and name, never its credentials. */
function where(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname || u.searchParams.get('host') || 'localhost'}${u.port ? `:${u.port}` : ''}${u.pathname}`;
  } catch {
    return '(unparsable DATABASE_URL)';
  }
}
