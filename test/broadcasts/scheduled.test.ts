/**
 * A scheduled workflow with recipients and `timezone: 'user'` ('0 9 * * 1' to the list `weekly`): each tick
 * fans out to the members whose local time is Monday 9:00, driven directly at chosen instants rather than by
 * waiting for a real Monday. Every member is reached once, at 9:00 on their own clock; a tick retried is nothing.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCron, userZoneTickCron } from '../../compiler/bundle/cron.ts';
import type { Bundle } from '../../compiler/bundle/schema.ts';
import { fanoutDeps } from '../../runtime/broadcasts/fanouts.ts';
import { dueIn, fanOutSlot, scheduleOf } from '../../runtime/broadcasts/scheduled.ts';
import { fanoutProgress } from '../../runtime/recipients/index.ts';
import type { Runtime } from '../../runtime/server.ts';
import { client, eventually, startTestRuntime, type Api } from '../runtime/harness.ts';
import { broadcastsBundle } from './bundle.ts';

let runtime: Runtime;
let api: Api;
let bundle: Bundle;

beforeAll(async () => {
  bundle = await broadcastsBundle();
  runtime = await startTestRuntime('scheduled-recipients', { bundle });
  api = client(runtime);
});
afterAll(async () => {
  await runtime?.stop();
});

const MEMBERS: [id: string, timezone: string | null][] = [
  ['paris', 'Europe/Paris'],
  ['berlin', 'Europe/Berlin'],
  ['london', 'Europe/London'],
  ['no-zone', null],
  ['new-york', 'America/New_York'],
  ['kolkata', 'Asia/Kolkata'],
];

describe('scheduled workflows with recipients', () => {
  it('ticks at every quarter hour the cron can fall on in some zone; zones due are those whose local time the cron names', () => {
    expect(userZoneTickCron(parseCron('0 9 * * 1'))).toBe('0,15,30,45 * * * *');
    expect(scheduleOf(bundle.workflows.weekly!)).toEqual({ cron: '0,15,30,45 * * * *', tz: 'UTC' });
    const monday8utc = Date.parse('2025-01-06T08:00:20Z');
    expect(dueIn('0 9 * * 1', monday8utc, 'Europe/Paris')).toBe(true);
    expect(dueIn('0 9 * * 1', monday8utc, 'Europe/London')).toBe(false);
    // A Monday 9:00 in Kolkata (UTC+5:30) is 03:30 UTC, under either of its names.
    expect(dueIn('0 9 * * 1', Date.parse('2025-01-06T03:30:00Z'), 'Asia/Kolkata')).toBe(true);
    expect(dueIn('0 9 * * 1', Date.parse('2025-01-06T03:30:00Z'), 'Asia/Calcutta')).toBe(true);
    // Sunday 9:00 local is not Monday.
    expect(dueIn('0 9 * * 1', Date.parse('2025-01-05T08:00:00Z'), 'Europe/Paris')).toBe(false);
  });

  it('fans out each tick to the members at 9:00 on their own clock, each once; a retried tick starts nothing', async () => {
    for (const [id, timezone] of MEMBERS) {
      expect((await api('PUT', `/v1/users/${id}`, { email: `${id}@example.com`, timezone })).status).toBeLessThan(300);
      expect((await api('PUT', `/v1/lists/weekly/members/${id}`)).status).toBeLessThan(300);
    }
    const fanouts = fanoutDeps(runtime.deps);
    const workflow = bundle.workflows.weekly!;
    // null: no zone on Earth is at Monday 9:00 then (9:07): no fan-out at all.
    const ticks: [string, string[] | null][] = [
      ['2025-01-06T03:30:00Z', ['kolkata']],
      ['2025-01-06T08:00:00Z', ['berlin', 'paris']],
      ['2025-01-06T09:00:00Z', ['london', 'no-zone']],
      ['2025-01-06T07:00:00Z', []],
      ['2025-01-06T09:07:00Z', null],
      ['2025-01-06T14:00:00Z', ['new-york']],
    ];
    for (const [at, expected] of ticks) {
      const slotId = randomUUID();
      const made = await runtime.db.transaction((tx) => fanOutSlot(fanouts, tx, { bundle, workflow, slotId, now: Date.parse(at) }));
      if (expected === null) {
        expect(made).toBeNull();
        continue;
      }
      if (expected.length === 0) {
        // Some zone is at Monday 9:00 (UTC+1 … ) but none of the list's members: an empty fan-out, done at once.
        expect(made).toMatchObject({ id: slotId, planned: 0 });
        continue;
      }
      expect(made).toMatchObject({ id: slotId, planned: expected.length });
      await eventually(`the tick at ${at}`, async () => ((await fanoutProgress(runtime.db, slotId))?.status === 'done' ? true : null));
      const { rows } = await runtime.db.query<{ user_id: string }>('SELECT user_id FROM herald.runs WHERE fanout_id = $1 ORDER BY user_id', [slotId]);
      expect(rows.map((r) => r.user_id)).toEqual(expected);
      // The slot's job retried after its commit: nothing new.
      expect(await runtime.db.transaction((tx) => fanOutSlot(fanouts, tx, { bundle, workflow, slotId, now: Date.parse(at) }))).toBeNull();
    }
    // Everyone once, by email, at their own 9:00.
    await eventually('every weekly email', async () => {
      const { rows } = await runtime.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM herald.messages WHERE workflow = 'weekly' AND status = 'sent'`);
      return rows[0]!.n === MEMBERS.length ? true : null;
    });
    const { rows } = await runtime.db.query<{ user_id: string; n: number }>(
      `SELECT user_id, count(*)::int AS n FROM herald.messages WHERE workflow = 'weekly' GROUP BY user_id`,
    );
    expect(rows.every((r) => r.n === 1)).toBe(true);
  });
});
