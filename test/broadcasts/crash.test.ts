/**
 * A broadcast killed mid-fan-out (`kill -9`), with real `herald start` processes on one database: the first dies
 * right after its first page committed (pg-boss not yet told), the second with its second page's runs inserted but
 * not committed, and a third finishes the fan-out. Every member of the list gets exactly one run and one message:
 * the committed page is not started again (its job comes back and finds the cursor moved on), the rolled-back page
 * is started once, from the same cursor.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, expect, it } from 'vitest';
import { freshDatabase } from '../setup/database.ts';
import { spawnRuntime, writeBundleFile, type RuntimeProcess } from '../setup/runtime-process.ts';
import { eventually } from '../runtime/harness.ts';
import { broadcastsBundle } from './bundle.ts';

const API_KEY = 'broadcast-crash-key-0123456789-0123456789';
/** Two pages of the fan-out (500 a page without a rate), the second short. */
const MEMBERS = 600;
const work = mkdtempSync(join(tmpdir(), 'herald-broadcast-crash-'));
const processes: RuntimeProcess[] = [];

afterAll(() => {
  for (const p of processes) p.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

async function diesAtFailpoint(p: RuntimeProcess, what: string): Promise<void> {
  const death = await Promise.race([p.exited, new Promise<null>((resolve) => setTimeout(() => resolve(null), 20_000))]);
  expect(death?.signal, `${what}: the armed process did not die at its failpoint:\n${p.output.join('').slice(-3000)}`).toBe('SIGKILL');
}

it('every member gets exactly one message after two kill -9s mid-fan-out', async () => {
  const databaseUrl = await freshDatabase('broadcast_crash');
  const bundlePath = writeBundleFile(await broadcastsBundle(), work);
  const env = (failpoints?: string) => ({
    HERALD_LOG_LEVEL: 'warn',
    NODE_COMPILE_CACHE: join(work, 'compile-cache'),
    ...(failpoints ? { HERALD_FAILPOINTS: failpoints } : {}),
  });
  const start = async (failpoints?: string) => {
    const p = await spawnRuntime({ bundlePath, databaseUrl, apiKey: API_KEY, env: env(failpoints), startTimeoutMs: 60_000 });
    processes.push(p);
    return p;
  };

  const first = await start('fanout.after-commit=@1');
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    // The list `newsletter` of broadcast `spring` (SMS): members with a phone number each.
    await db.query(`INSERT INTO herald.lists (id) VALUES ('newsletter')`);
    await db.query(
      `INSERT INTO herald.users (id, phone_number)
       SELECT 'm-' || lpad(i::text, 4, '0'), '+1555' || lpad(i::text, 7, '0') FROM generate_series(1, $1::int) i`,
      [MEMBERS],
    );
    await db.query(`INSERT INTO herald.list_members (list_id, user_id) SELECT 'newsletter', id FROM herald.users`);

    const sent = await fetch(`${first.url}/v1/broadcasts/spring/send`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(sent.status, await sent.clone().text()).toBe(202);
    const { runId, planned } = (await sent.json()) as { runId: string; planned: number };
    expect(planned).toBe(MEMBERS);

    await diesAtFailpoint(first, 'after the first page committed');
    const afterFirst = await db.query<{ started: number; n: number }>(
      `SELECT f.started, (SELECT count(*)::int FROM herald.runs WHERE fanout_id = f.id) AS n FROM herald.fanouts f WHERE id = $1`,
      [runId],
    );
    expect(afterFirst.rows[0]).toEqual({ started: 500, n: 500 });

    // The second page's job is queued: the next process takes it at once and dies before its commit.
    const second = await start('fanout.before-commit=@1');
    await diesAtFailpoint(second, 'before the second page committed');
    const afterSecond = await db.query<{ started: number; n: number }>(
      `SELECT f.started, (SELECT count(*)::int FROM herald.runs WHERE fanout_id = f.id) AS n FROM herald.fanouts f WHERE id = $1`,
      [runId],
    );
    expect(afterSecond.rows[0]).toEqual({ started: 500, n: 500 });

    // The survivor: both dead jobs come back once their heartbeats are stale (~10–20 s).
    const survivor = await start();
    const messages = await eventually(
      'every member messaged',
      async () => {
        const r = await db.query<{ user_id: string; n: number }>(
          `SELECT user_id, count(*)::int AS n FROM herald.messages WHERE workflow = 'broadcast:spring' AND status = 'sent' GROUP BY user_id`,
        );
        return r.rows.length >= MEMBERS ? r.rows : null;
      },
      90_000,
    );
    expect(messages).toHaveLength(MEMBERS);
    expect(messages.filter((m) => m.n !== 1)).toEqual([]);
    const runs = await db.query<{ user_id: string; n: number }>(
      `SELECT user_id, count(*)::int AS n FROM herald.runs WHERE fanout_id = $1 GROUP BY user_id HAVING count(*) <> 1`,
      [runId],
    );
    expect(runs.rows).toEqual([]);
    const fanout = await db.query(`SELECT status, started, planned FROM herald.fanouts WHERE id = $1`, [runId]);
    expect(fanout.rows[0]).toEqual({ status: 'done', started: MEMBERS, planned: MEMBERS });
    const progress = await fetch(`${survivor.url}/v1/broadcasts/${runId}`, { headers: { authorization: `Bearer ${API_KEY}` } });
    expect(await progress.json()).toMatchObject({ status: 'done', planned: MEMBERS, started: MEMBERS, sent: MEMBERS, skipped: 0, pending: 0 });
    await survivor.stop();
  } finally {
    await db.end();
  }
}, 150_000);
