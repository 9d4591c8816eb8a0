/**
 * An upgrade in place: the database the previous release left (test/fixtures/upgrade/previous-release.json,
 * captured from that release's own runtime by capture.ts beside it — three onboarding runs waiting two hours for
 * their welcome email to be opened, a preference changed, its bundle stored) is loaded under its own schema,
 * and the current release starts on it with a newer bundle. Its migrations apply; the waits come due; every
 * run completes under the bundle version it started with, and nothing is lost or sent twice.
 */
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { PgBoss } from 'pg-boss';
import { afterAll, expect, it } from 'vitest';
import { sealBundle } from '../../compiler/bundle/canonical.ts';
import { MIGRATIONS } from '../../runtime/db/migrate.ts';
import type { Runtime } from '../../runtime/server.ts';
import { freshDatabase } from '../setup/database.ts';
import { eventually, exampleBundle, startTestRuntime } from './harness.ts';

interface Fixture {
  release: string;
  users: string[];
  rows: Record<string, Record<string, unknown>[]>;
}

const fixture = JSON.parse(readFileSync(new URL('../fixtures/upgrade/previous-release.json', import.meta.url), 'utf8')) as Fixture;
const oldVersion = fixture.rows['herald.bundles']![0]!.version as string;
let runtime: Runtime | undefined;
afterAll(async () => {
  await runtime?.stop();
});

/** Inserts the fixture's rows of `table` as they were (types from the table itself). */
async function load(client: pg.Client, table: string): Promise<void> {
  const rows = fixture.rows[table];
  if (!rows?.length) return;
  await client.query(`INSERT INTO ${table} SELECT * FROM json_populate_recordset(null::${table}, $1::json)`, [JSON.stringify(rows)]);
}

it('starts on the previous release’s database: waiting runs complete under their own bundle version, nothing lost', async () => {
  const url = await freshDatabase('upgrade');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    // The previous release's schema: its one idempotent script (migration 1's text) with its version marker,
    // and pg-boss's own (the same pg-boss version: the lock file did not change it).
    await client.query(MIGRATIONS[0]!.sql);
    await client.query('CREATE TABLE herald.schema_version (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
    const boss = new PgBoss({ connectionString: url });
    await boss.start();
    await boss.stop({ graceful: false });
    await client.query('DELETE FROM pgboss.queue');
    // Parents before children; pg-boss's bookkeeping (version, instance, schedule) is its own, and job_common is
    // a partition of pgboss.job (its rows arrive through the parent).
    for (const table of [
      'herald.schema_version',
      'herald.bundles',
      'herald.users',
      'herald.preferences',
      'herald.events',
      'herald.runs',
      'herald.messages',
      'herald.audit_log',
      'pgboss.queue',
      'pgboss.job',
    ]) {
      await load(client, table);
    }
    expect(
      Object.keys(fixture.rows)
        .filter((t) => !t.startsWith('pgboss.'))
        .sort(),
    ).toEqual([
      'herald.audit_log',
      'herald.bundles',
      'herald.events',
      'herald.messages',
      'herald.preferences',
      'herald.runs',
      'herald.schema_version',
      'herald.users',
    ]);

    // The current release, with a newer bundle going live: the example with one setting changed, so that its
    // version is not the runs'.
    const { version: _version, formatVersion: _format, ...content } = await exampleBundle();
    const newBundle = sealBundle({ ...content, settings: { ...content.settings, retentionMs: content.settings.retentionMs + 1 } });
    expect(newBundle.version).not.toBe(oldVersion);
    runtime = await startTestRuntime('upgrade', { databaseUrl: url, bundle: newBundle });
    expect((await client.query('SELECT id FROM herald.schema_migrations ORDER BY id')).rows.map((r) => r.id)).toEqual(MIGRATIONS.map((m) => m.id));

    // Two hours pass for the waits: their timer jobs come due now.
    await client.query("UPDATE pgboss.job SET start_after = now() WHERE name = 'herald-run' AND state = 'created'");
    const runs = await eventually(
      'the waiting runs to complete',
      async () => {
        const { rows } = await client.query<{ status: string; bundle_version: string; user_id: string }>(
          'SELECT status, bundle_version, user_id FROM herald.runs ORDER BY user_id',
        );
        return rows.every((r) => r.status === 'completed') ? rows : null;
      },
      30_000,
    );
    expect(runs).toEqual(
      fixture.users
        .slice()
        .sort()
        .map((user_id) => ({ status: 'completed', bundle_version: oldVersion, user_id })),
    );
    const { rows: messages } = await client.query<{ user_id: string; step_id: string; channel: string; status: string }>(
      'SELECT user_id, step_id, channel, status FROM herald.messages ORDER BY user_id, created_at',
    );
    // Each user: the welcome sent by the previous release, then (not opened, not active) the SMS nudge sent by
    // this one; nothing twice.
    for (const user of fixture.users) {
      const mine = messages.filter((m) => m.user_id === user);
      expect(
        mine.map((m) => `${m.step_id}:${m.channel}:${m.status}`),
        user,
      ).toEqual(['welcome:email:sent', 'nudge-sms:sms:sent']);
    }
    expect((await client.query('SELECT version FROM herald.bundles ORDER BY version')).rows.map((r) => r.version).sort()).toEqual(
      [newBundle.version, oldVersion].sort(),
    );
  } finally {
    await client.end();
  }
});
