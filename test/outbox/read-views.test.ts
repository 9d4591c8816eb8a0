/**
 * The read schema is a contract with warehouses and BI tools: `herald_views.messages`, `.runs` and
 * `.message_events` keep these columns, in this order, with these types, across releases (a release may add
 * columns at the end). The views read the message log's partitioned parent, not the table it was before it was
 * partitioned (db/read-views.ts), so every day's partition is in them and old ones can still be dropped.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../runtime/db/pool.ts';
import { upgradeSchema } from '../../runtime/db/schema.ts';
import { freshDatabase } from '../setup/database.ts';

let db: Database;

beforeAll(async () => {
  db = openDatabase(await freshDatabase('read_views'), { max: 2 });
  await upgradeSchema(db);
});
afterAll(async () => {
  await db?.close();
});

async function columns(view: string): Promise<string[]> {
  const { rows } = await db.query<{ name: string; type: string }>(
    `SELECT column_name AS name, data_type AS type FROM information_schema.columns WHERE table_schema = 'herald_views' AND table_name = $1 ORDER BY ordinal_position`,
    [view],
  );
  return rows.map((r) => `${r.name} ${r.type}`);
}

describe('the read schema', () => {
  it('pins the columns of herald_views.messages, runs and message_events', async () => {
    expect(await columns('messages')).toEqual([
      'message_id uuid',
      'run_id uuid',
      'workflow text',
      'step_id text',
      'channel text',
      'template text',
      'category text',
      'user_id text',
      'tenant_id text',
      'provider text',
      'provider_message_id text',
      'status text',
      'reason text',
      'created_at timestamp with time zone',
      'updated_at timestamp with time zone',
    ]);
    expect(await columns('runs')).toEqual([
      'run_id uuid',
      'workflow text',
      'bundle_version text',
      'user_id text',
      'tenant_id text',
      'status text',
      'trigger_event text',
      'created_at timestamp with time zone',
      'updated_at timestamp with time zone',
    ]);
    expect(await columns('message_events')).toEqual([
      'message_id uuid',
      'seq integer',
      'event text',
      'at timestamp with time zone',
      'run_id uuid',
      'workflow text',
      'channel text',
      'user_id text',
      'tenant_id text',
      'provider text',
      'detail jsonb',
    ]);
  });

  it('reads the partitioned message log, one row per history entry', async () => {
    const { rows } = await db.query<{ kind: string }>(
      `SELECT c.relkind AS kind FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid JOIN pg_class c ON c.oid = d.refobjid
       WHERE r.ev_class = 'herald_views.messages'::regclass AND c.relname = 'messages' AND c.relnamespace = 'herald'::regnamespace`,
    );
    expect(rows.map((r) => r.kind)).toContain('p');
    await db.query(
      `INSERT INTO herald.messages (id, run_id, step_id, channel, workflow, template, user_id, status, history)
       VALUES ('01900000-0000-7000-8000-000000000001', gen_random_uuid(), 'welcome', 'email', 'onboarding', 'welcome', 'u1', 'delivered',
         '[{"status":"queued","at":"2025-01-01T00:00:00.000Z"},{"status":"sent","at":"2025-01-01T00:00:01.000Z","provider":"sendgrid"},{"status":"delivered","at":"2025-01-01T00:00:05.000Z"}]')`,
    );
    const events = await db.query<{ event: string; seq: number; provider: string | null }>(
      `SELECT event, seq, provider FROM herald_views.message_events WHERE message_id = '01900000-0000-7000-8000-000000000001' ORDER BY seq`,
    );
    expect(events.rows).toEqual([
      { event: 'queued', seq: 1, provider: null },
      { event: 'sent', seq: 2, provider: 'sendgrid' },
      { event: 'delivered', seq: 3, provider: null },
    ]);
    const messages = await db.query(`SELECT status FROM herald_views.messages WHERE message_id = '01900000-0000-7000-8000-000000000001'`);
    expect(messages.rows).toEqual([{ status: 'delivered' }]);
  });
});
