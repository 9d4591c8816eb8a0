/**
 * Time partitions (runtime/db/partitions.ts) on a real PostgreSQL: a new database gets partitioned tables and
 * the days ahead; the previous release's tables, with rows, become partitioned in place (their rows stay, as the
 * first partition); a lookup by a message id reads one partition; retention drops whole days and deletes no row.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { MIGRATIONS, migrate } from '../../runtime/db/migrate.ts';
import { DAYS_AHEAD, maintainPartitions, PARTITIONED_TABLES, partitionCoverage, preparePartitions } from '../../runtime/db/partitions.ts';
import { openDatabase } from '../../runtime/db/pool.ts';
import * as sql from '../../runtime/db/sql.ts';
import { newTimeOrderedId, timeOfId } from '../../runtime/db/time-ordered-id.ts';
import { freshDatabase } from '../setup/database.ts';

const DAY = 86_400_000;
const day = (ms: number) => new Date(Math.floor(ms / DAY) * DAY).toISOString().slice(0, 10).replaceAll('-', '');
const opened: pg.Client[] = [];
afterAll(async () => {
  for (const c of opened) await c.end().catch(() => {});
});

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  opened.push(client);
  return client;
}

const partitionsOf = async (client: pg.Client, table: string) =>
  (
    await client.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = $1::regclass ORDER BY 1`,
      [`herald.${table}`],
    )
  ).rows.map((r) => r.name);

const relkind = async (client: pg.Client, table: string) =>
  (await client.query<{ k: string }>('SELECT relkind AS k FROM pg_class WHERE oid = $1::regclass', [`herald.${table}`])).rows[0]?.k;

/** The message log's and the inbox's triggers, on whichever table (a partition too): `table trigger function`. */
const triggersOf = async (client: pg.Client) =>
  (
    await client.query<{ t: string }>(
      `SELECT c.relname || ' ' || tg.tgname || ' ' || p.proname AS t
       FROM pg_trigger tg JOIN pg_class c ON c.oid = tg.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_proc p ON p.oid = tg.tgfoid
       WHERE n.nspname = 'herald' AND c.relname ~ '^(messages|inbox)' AND NOT tg.tgisinternal ORDER BY tg.tgname`,
    )
  ).rows.map((r) => r.t);

/** One message row of the previous release's shape (a random id, a time of its own). */
const oldMessage = (runId: string, stepId: string, createdAt: Date) =>
  [randomUUID(), runId, stepId, 'email', 'onboarding', 'welcome', 'u-1', 'delivered', createdAt] as const;

/** The relations a plan reads, from EXPLAIN's JSON. */
function relationsRead(plan: unknown): string[] {
  const found: string[] = [];
  const walk = (node: Record<string, unknown>) => {
    if (typeof node['Relation Name'] === 'string') found.push(node['Relation Name']);
    for (const child of (node.Plans as Record<string, unknown>[] | undefined) ?? []) walk(child);
  };
  walk((plan as { Plan: Record<string, unknown> }[])[0]!.Plan);
  return found;
}

describe('a new database', () => {
  it('has every log partitioned by day, the days ahead made, and a lookup by message id reading one partition', async () => {
    const url = await freshDatabase('partitions-new');
    const db = openDatabase(url, { max: 2 });
    try {
      await migrate(db);
      const now = Date.now();
      const report = await preparePartitions(db, now);
      expect(report.converted).toEqual(PARTITIONED_TABLES.map((t) => t.table));
      const client = await connect(url);
      for (const { table } of PARTITIONED_TABLES) {
        expect(await relkind(client, table)).toBe('p');
        const parts = await partitionsOf(client, table);
        // The old (empty) table stays as the partition of everything before today; then today and the days ahead.
        expect(parts).toEqual([`${table}_before_${day(now)}`, ...Array.from({ length: DAYS_AHEAD + 1 }, (_, i) => `${table}_p${day(now + i * DAY)}`)].sort());
      }
      // The migrations' triggers (statement triggers with transition tables) moved to the partitioned tables,
      // as they were; none is left on a partition.
      expect(await triggersOf(client)).toEqual([
        'inbox inbox_notify_insert inbox_notify',
        'inbox inbox_notify_update inbox_notify',
        'messages outbox_messages_insert outbox_messages_inserted',
        'messages outbox_messages_update outbox_messages_updated',
      ]);
      // Done once: a second start (or a second process) finds nothing to do.
      expect(await preparePartitions(db, now)).toEqual({ converted: [], created: [], dropped: [] });

      // A message logged now lands in today's partition, dated by its id; the lookup by id prunes to it.
      const id = newTimeOrderedId();
      const runId = randomUUID();
      await client.query(
        `INSERT INTO herald.messages (id, created_at, run_id, step_id, channel, workflow, template, status)
         VALUES ($1, herald.uuid7_time($1), $2, 'welcome', 'email', 'onboarding', 'welcome', 'sent')`,
        [id, runId],
      );
      const where = await client.query<{ part: string; created_at: Date }>(
        'SELECT tableoid::regclass::text AS part, created_at FROM herald.messages WHERE id = $1',
        [id],
      );
      expect(where.rows[0]!.part.replace(/^herald\./, '')).toBe(`messages_p${day(now)}`);
      expect(where.rows[0]!.created_at.getTime()).toBe(timeOfId(id)!.getTime());
      const lookup = sql.messageById(id);
      const plan = await client.query(`EXPLAIN (FORMAT JSON) ${lookup.text}`, lookup.values);
      expect(relationsRead(plan.rows[0]['QUERY PLAN'])).toEqual([`messages_p${day(now)}`]);
    } finally {
      await db.close();
    }
  });
});

describe('the previous release’s database', () => {
  it('is partitioned in place: old rows stay (as the first partition) and are still found by id; writes go on', async () => {
    const url = await freshDatabase('partitions-upgrade');
    const client = await connect(url);
    // The previous release's schema (migrations 1 and 2) with rows in every log.
    await client.query(MIGRATIONS[0]!.sql);
    await client.query(MIGRATIONS[1]!.sql);
    const now = Date.now();
    const runId = randomUUID();
    const old = [oldMessage(runId, 'welcome', new Date(now - 3 * DAY)), oldMessage(runId, 'nudge', new Date(now - 60_000))];
    for (const m of old) {
      await client.query(
        `INSERT INTO herald.messages (id, run_id, step_id, channel, workflow, template, user_id, status, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [...m],
      );
    }
    await client.query(`INSERT INTO herald.events (message_id, event, user_id, properties) VALUES ('seg-1', 'signed_up', 'u-1', '{}')`);
    // An event first seen before the dedupe window (a day): its id is not unique any more.
    await client.query(
      `INSERT INTO herald.events (message_id, event, user_id, properties, received_at) VALUES ('seg-old', 'signed_up', 'u-1', '{}', now() - interval '2 days')`,
    );
    await client.query(`INSERT INTO herald.audit_log (actor, action) VALUES ('admin', 'login')`);
    await client.query(`INSERT INTO herald.provider_events (dedupe_key) VALUES ('sg-1')`);
    await client.query(`INSERT INTO herald.inbox (id, user_id, message_id, title, body) VALUES ($1, 'u-1', $2, 'Hi', 'Hello')`, [randomUUID(), old[1]![0]]);

    const db = openDatabase(url, { max: 2 });
    try {
      await migrate(db);
      // Two processes starting at once: one converts, the other waits for it (without deadlocking its
      // concurrent index builds) and finds nothing left to do.
      const both = await Promise.all([preparePartitions(db, now), preparePartitions(db, now)]);
      expect(both.map((r) => r.converted.length).sort()).toEqual([0, PARTITIONED_TABLES.length]);
      // The old rows are the first partition, bounded two days ahead (rows kept arriving while it was checked).
      const boundary = day(now + 2 * DAY);
      for (const { table } of PARTITIONED_TABLES) {
        expect(await relkind(client, table)).toBe('p');
        expect(await partitionsOf(client, table)).toContain(`${table}_before_${boundary}`);
      }
      expect((await client.query('SELECT count(*)::int AS n FROM herald.messages')).rows[0].n).toBe(2);
      // The old tables' triggers are the partitioned tables' now.
      expect(await triggersOf(client)).toEqual([
        'inbox inbox_notify_insert inbox_notify',
        'inbox inbox_notify_update inbox_notify',
        'messages outbox_messages_insert outbox_messages_inserted',
        'messages outbox_messages_update outbox_messages_updated',
      ]);
      // The old table's key is the one built beforehand, concurrently (ATTACH built none under its lock), and
      // its old unique keys are gone: one unique index is left, the partitioned table's key's partition.
      const unique = await client.query<{ name: string }>(
        `SELECT c.relname AS name FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = $1::regclass AND i.indisunique`,
        [`herald.messages_before_${boundary}`],
      );
      expect(unique.rows.map((r) => r.name)).toEqual([`messages_before_${boundary}_pkey`]);
      expect((await client.query('SELECT count(*)::int AS n FROM herald.audit_log')).rows[0].n).toBe(1);
      // A message of the previous release (a random id) is still found by id, and still updated by a webhook.
      const found = await db.query(sql.messageById(old[0]![0]).text, sql.messageById(old[0]![0]).values);
      expect(found.rows).toHaveLength(1);
      const update = sql.appendMessageStatus(old[1]![0], 'opened', { status: 'opened' });
      expect((await db.query(update.text, update.values)).rows).toHaveLength(1);
      // The serial ids go on from where they were.
      const next = await client.query<{ id: string }>(`INSERT INTO herald.audit_log (actor, action) VALUES ('admin', 'logout') RETURNING id`);
      expect(Number(next.rows[0]!.id)).toBe(2);
      // A repeated Segment event is still recognised across the switch.
      await client.query('BEGIN');
      const lock = sql.lockDedupeKeys('event', ['seg-1']);
      await client.query(lock.text, lock.values);
      const accepted = sql.acceptEvents([{ message_id: 'seg-1', event: 'signed_up', user_id: 'u-1', properties: {}, run_ids: [] }], []);
      expect((await client.query(accepted.text, accepted.values)).rows[0].kept).toEqual([]);
      // One seen before the window is accepted again, into the old table (its rows run until the bound), with
      // no unique key of the old table to refuse it.
      const again = sql.acceptEvents([{ message_id: 'seg-old', event: 'signed_up', user_id: 'u-1', properties: {}, run_ids: [] }], []);
      expect((await client.query(again.text, again.values)).rows[0].kept).toEqual([1]);
      await client.query('ROLLBACK');
    } finally {
      await db.close();
    }
  });
});

describe('retention', () => {
  it('drops whole days past the retention (detached, then dropped) and deletes no row', async () => {
    const url = await freshDatabase('partitions-retention');
    const db = openDatabase(url, { max: 2 });
    try {
      await migrate(db);
      const now = Date.now();
      await preparePartitions(db, now);
      const client = await connect(url);
      // A message today, and an audit entry today.
      const id = newTimeOrderedId();
      await client.query(
        `INSERT INTO herald.messages (id, created_at, run_id, step_id, channel, workflow, template, status)
         VALUES ($1, herald.uuid7_time($1), $2, 'welcome', 'email', 'onboarding', 'welcome', 'sent')`,
        [id, randomUUID()],
      );
      await client.query(`INSERT INTO herald.audit_log (actor, action) VALUES ('admin', 'login')`);

      // Five days later, with a retention of two days: today and the day before it are gone, the rest stays.
      const later = now + 5 * DAY;
      const report = await maintainPartitions(db, 2 * DAY, later);
      expect(report.dropped).toContain(`messages_p${day(now)}`);
      expect(report.dropped).toContain(`messages_before_${day(now)}`);
      expect(report.dropped).toContain(`audit_log_p${day(now)}`);
      expect(report.dropped).not.toContain(`messages_p${day(later - 2 * DAY)}`);
      // The days ahead of the later clock were made.
      expect(report.created).toContain(`messages_p${day(later + DAYS_AHEAD * DAY)}`);
      expect((await client.query('SELECT count(*)::int AS n FROM herald.messages')).rows[0].n).toBe(0);
      expect((await client.query('SELECT count(*)::int AS n FROM herald.audit_log')).rows[0].n).toBe(0);
      const parts = await partitionsOf(client, 'messages');
      expect(parts).not.toContain(`messages_p${day(now)}`);
      expect(parts).toContain(`messages_p${day(later)}`);
      // A day detached by hand (or left by a drop cut short) and past the retention is dropped too.
      const leftover = `audit_log_p${day(later - 2 * DAY)}`;
      await client.query(`ALTER TABLE herald.audit_log DETACH PARTITION herald.${leftover}`);
      const dayAfter = await maintainPartitions(db, 2 * DAY, later + DAY);
      expect(dayAfter.dropped).toContain(leftover);
      expect((await client.query('SELECT to_regclass($1) AS t', [`herald.${leftover}`])).rows[0].t).toBeNull();
      // Bounds are read whatever the session's date style.
      const dmy = await connect(url);
      await dmy.query("SET DateStyle = 'SQL, DMY'; SET TimeZone = 'Asia/Kolkata'");
      const coverage = await partitionCoverage(
        { query: async <Row>(text: string, values?: unknown[]) => (await dmy.query(text, values)) as unknown as { rows: Row[] } },
        later,
      );
      expect(coverage.find((c) => c.table === 'messages')?.until?.getTime()).toBe(Math.floor((later + DAY) / DAY) * DAY + (DAYS_AHEAD + 1) * DAY);
      // Not one row deleted: whole tables went.
      const deleted = await client.query<{ n: string }>(
        `SELECT coalesce(sum(n_tup_del), 0) AS n FROM pg_stat_user_tables WHERE schemaname = 'herald' AND relname LIKE ANY (ARRAY['messages%', 'audit_log%', 'inbox%', 'events%', 'provider_events%'])`,
      );
      expect(Number(deleted.rows[0]!.n)).toBe(0);
    } finally {
      await db.close();
    }
  });
});
