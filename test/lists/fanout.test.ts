/**
 * Triggering a workflow for a list (`recipients: { list }` / `{ listPattern }`): one run per member, each the
 * member's own — their preferences and their time zone's send window apply as for any run. The fan-out is
 * durable: a page whose transaction fails after some pages is read again from the same cursor, so every member
 * gets exactly one run; a cancelled fan-out starts no more pages; a job delivered twice starts nothing twice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isWindowOpen } from '../../compiler/bundle/window.ts';
import { rows } from '../../runtime/db/sql-client.ts';
import { cancelFanout, createFanout, fanoutProgress, runPage } from '../../runtime/recipients/index.ts';
import type { Runtime } from '../../runtime/server.ts';
import { client, eventually, messagesOf, startTestRuntime, type Api } from '../runtime/harness.ts';

let runtime: Runtime;
let api: Api;

beforeAll(async () => {
  runtime = await startTestRuntime('lists-fanout');
  api = client(runtime);
});
afterAll(async () => {
  await runtime?.stop();
});

const cart = { cart_id: 'c1', item_count: 2, cart_url: 'https://shop.example.com/cart' };
const ZONES = ['UTC', 'Europe/Paris', 'Asia/Tokyo', 'America/New_York', 'America/Los_Angeles', 'Asia/Kolkata', 'Pacific/Auckland', 'America/Sao_Paulo'];
/** The cart window is 09:00–21:00 in the user's zone: a zone well inside it now, and one well outside. */
const inWindow = (from: number, to: number) =>
  ZONES.find((z) => isWindowOpen({ days: [1, 2, 3, 4, 5, 6, 7], startMinute: from * 60, endMinute: to * 60, timezone: 'user' }, z, Date.now()))!;
const dayZone = () => inWindow(10, 20);
const nightZone = () =>
  ZONES.find((z) => !isWindowOpen({ days: [1, 2, 3, 4, 5, 6, 7], startMinute: 8 * 60, endMinute: 22 * 60, timezone: 'user' }, z, Date.now()))!;

interface Created {
  fanout: { id: string; planned: number };
}

const runsOf = (fanoutId: string) =>
  rows<{ id: string; user_id: string }>(runtime.db, { text: 'SELECT id, user_id FROM herald.runs WHERE fanout_id = $1 ORDER BY user_id', values: [fanoutId] });

describe('a trigger with a list as recipients', () => {
  it("starts one run per member, each with the member's own preferences and time zone", async () => {
    await api('PUT', '/v1/users/day', { email: 'day@example.com', timezone: dayZone() });
    await api('PUT', '/v1/users/night', { email: 'night@example.com', timezone: nightZone() });
    await api('PUT', '/v1/users/opted-out', { email: 'out@example.com', timezone: dayZone() });
    await api('PUT', '/v1/users/opted-out/preferences', { categories: { promotions: { email: false } } });
    for (const member of ['day', 'night', 'opted-out']) await api('PUT', `/v1/lists/shoppers/members/${member}`);

    const r = await api<Created>('POST', '/v1/workflows/cart-recovery/trigger', { recipients: { list: 'shoppers' }, data: cart });
    expect(r.status).toBe(202);
    expect(r.body.fanout.planned).toBe(3);

    const progress = await eventually('the fan-out done', async () => {
      const p = await api<{ status: string; started: number; planned: number }>('GET', `/v1/fanouts/${r.body.fanout.id}`);
      return p.body.status === 'done' ? p.body : null;
    });
    expect(progress).toMatchObject({ planned: 3, started: 3, cursor: 'opted-out' });
    const runs = await runsOf(r.body.fanout.id);
    expect(runs.map((x) => x.user_id)).toEqual(['day', 'night', 'opted-out']);

    // In the window: sent. Opted out of promotions by email: skipped by preference. Night: deferred to morning.
    await eventually('the day member’s reminder', async () => (await messagesOf(api, 'day')).find((m) => m.step === 'reminder-email' && m.status === 'sent'));
    const skipped = await eventually('the opted-out member’s reminder', async () =>
      (await messagesOf(api, 'opted-out')).find((m) => m.step === 'reminder-email'),
    );
    expect(skipped).toMatchObject({ status: 'skipped', reason: 'preference' });
    const nightRun = runs.find((x) => x.user_id === 'night')!;
    const waiting = await eventually('the night member’s deferral', async () => {
      const got = await api<{ run: { waiting: { kind: string; until: number } | null } }>('GET', `/v1/runs/${nightRun.id}`);
      return got.body.run.waiting?.kind === 'window' ? got.body.run.waiting : null;
    });
    expect(waiting.until).toBeGreaterThan(Date.now());
    expect((await messagesOf(api, 'night')).filter((m) => m.step === 'reminder-email')).toEqual([]);
  });

  it('reaches every list a pattern matches, each user once', async () => {
    await api('PUT', '/v1/lists/proj.1.watchers/members/pw-a');
    await api('PUT', '/v1/lists/proj.1.watchers/members/pw-b');
    await api('PUT', '/v1/lists/proj.2.watchers/members/pw-b');
    await api('PUT', '/v1/lists/proj.2.watchers/members/pw-c');
    await api('PUT', '/v1/lists/proj/members/pw-not-matched');
    await api('PUT', '/v1/lists/projx.1/members/pw-not-matched');
    const r = await api<Created>('POST', '/v1/workflows/cart-recovery/trigger', { recipients: { listPattern: 'proj.*' }, data: cart });
    expect(r.status).toBe(202);
    expect(r.body.fanout.planned).toBe(3);
    await eventually('the fan-out done', async () => (await api<{ status: string }>('GET', `/v1/fanouts/${r.body.fanout.id}`)).body.status === 'done');
    expect((await runsOf(r.body.fanout.id)).map((x) => x.user_id)).toEqual(['pw-a', 'pw-b', 'pw-c']);
  });

  it('answers a repeated Idempotency-Key with the same fan-out, started once', async () => {
    await api('PUT', '/v1/lists/keyed/members/k1');
    const body = { recipients: { list: 'keyed' }, data: cart };
    const first = await api<Created>('POST', '/v1/workflows/cart-recovery/trigger', body, { 'idempotency-key': 'fan-1' });
    const second = await api<Created>('POST', '/v1/workflows/cart-recovery/trigger', body, { 'idempotency-key': 'fan-1' });
    expect(second.status).toBe(202);
    expect(second.body.fanout.id).toBe(first.body.fanout.id);
    await eventually('the fan-out done', async () => (await api<{ status: string }>('GET', `/v1/fanouts/${first.body.fanout.id}`)).body.status === 'done');
    const all = await rows<{ n: number }>(runtime.db, { text: "SELECT count(*)::int AS n FROM herald.runs WHERE user_id = 'k1'", values: [] });
    expect(all[0]!.n).toBe(1);
  });

  it('refuses two kinds of recipient at once, bad list ids and patterns, and audiences without a reader', async () => {
    const both = await api<{ error: { message: string } }>('POST', '/v1/workflows/cart-recovery/trigger', {
      userId: 'u',
      recipients: { list: 'x' },
      data: cart,
    });
    expect(both.status).toBe(400);
    expect(both.body.error.message).toContain('exactly one of userId, to or recipients');
    const bad = await api<{ error: { message: string } }>('POST', '/v1/workflows/cart-recovery/trigger', { recipients: { list: 'a b' }, data: cart });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('recipients.list');
    expect((await api('POST', '/v1/workflows/cart-recovery/trigger', { recipients: { listPattern: '*' }, data: cart })).status).toBe(400);
    expect((await api('POST', '/v1/workflows/cart-recovery/trigger', { recipients: { list: 'x' }, data: {} })).status).toBe(400);
    expect((await api('GET', '/v1/fanouts/not-a-uuid')).status).toBe(404);
  });

  it('refuses an audience the bundle does not define, and the runtime-only zones field, with a 400 (never a 500)', async () => {
    const unknown = await api<{ error: { message: string } }>('POST', '/v1/workflows/cart-recovery/trigger', {
      recipients: { audience: 'no-such-audience' },
      data: cart,
    });
    expect(unknown.status, JSON.stringify(unknown.body)).toBe(400);
    expect(unknown.body.error.message).toContain('recipients.audience');
    const inherited = await api('POST', '/v1/workflows/cart-recovery/trigger', { recipients: { audience: 'constructor' }, data: cart });
    expect(inherited.status).toBe(400);
    // `zones` is what a scheduled workflow's tick adds (runtime/broadcasts/scheduled.ts), not part of the API.
    for (const cron of ['not a cron', '* * * * *']) {
      const zones = await api<{ error: { message: string } }>('POST', '/v1/workflows/cart-recovery/trigger', {
        recipients: { list: 'x', zones: { cron, at: 0 } },
        data: cart,
      });
      expect(zones.status, JSON.stringify(zones.body)).toBe(400);
    }
  });
});

describe('the durable fan-out', () => {
  const members = Array.from({ length: 45 }, (_, i) => `d${String(i).padStart(3, '0')}`);

  it('starts every member exactly once when a page’s transaction fails after some pages', async () => {
    for (const m of members) await api('PUT', `/v1/lists/durable/members/${m}`);
    // The third page's transaction fails at its last statement (the cursor's move), after its runs were
    // inserted: it rolls back whole, and pg-boss retries the page from the same cursor.
    await runtime.db.query(`CREATE SEQUENCE IF NOT EXISTS test_fanout_fail`);
    await runtime.db.query(`CREATE OR REPLACE FUNCTION test_fail_third_page() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF OLD.kind = 'test-crash' AND OLD.started = 20 AND nextval('test_fanout_fail') = 1 THEN RAISE EXCEPTION 'injected failure'; END IF;
        RETURN NEW;
      END $$`);
    await runtime.db.query(`CREATE TRIGGER test_fail_third_page BEFORE UPDATE ON herald.fanouts FOR EACH ROW EXECUTE FUNCTION test_fail_third_page()`);
    const bundle = runtime.deps.bundles.live!;
    const created = await runtime.db.transaction((tx) =>
      createFanout(runtime.appDeps.fanouts!, tx, {
        kind: 'test-crash',
        source: { list: 'durable' },
        bundle,
        workflow: bundle.workflows['cart-recovery']!,
        data: cart,
        pageSize: 10,
      }),
    );
    expect(created.planned).toBe(45);
    const done = await eventually(
      'the fan-out done',
      async () => {
        const p = await fanoutProgress(runtime.db, created.id);
        return p?.status === 'done' ? p : null;
      },
      30_000,
    );
    const failed = await rows<{ last_value: string; is_called: boolean }>(runtime.db, {
      text: 'SELECT last_value, is_called FROM test_fanout_fail',
      values: [],
    });
    expect(failed[0]!.is_called).toBe(true); // the failure did happen
    expect(done).toMatchObject({ planned: 45, started: 45, cursor: 'd044' });
    expect((await runsOf(created.id)).map((r) => r.user_id)).toEqual(members);
  });

  it('ignores a page job delivered again, and starts no page once cancelled', async () => {
    for (const m of ['c1', 'c2', 'c3', 'c4', 'c5']) await api('PUT', `/v1/lists/cancelled/members/${m}`);
    const bundle = runtime.deps.bundles.live!;
    const fanouts = runtime.appDeps.fanouts!;
    // Far in the future, so the queue's worker leaves it to the test: pages are run by hand.
    const created = await runtime.db.transaction((tx) =>
      createFanout(fanouts, tx, {
        kind: 'test-cancel',
        source: { list: 'cancelled' },
        bundle,
        workflow: bundle.workflows['cart-recovery']!,
        data: cart,
        pageSize: 2,
        // Each next page is due 6 s after its page (2 at 20/min), so the queue's worker does not race the test to it.
        ratePerMinute: 20,
        notBefore: new Date(Date.now() + 3_600_000),
      }),
    );
    expect(await runPage(fanouts, runtime.db, { fanoutId: created.id, after: null })).toBe('page');
    // The same job again (its completion was lost): the cursor has moved on, it does nothing.
    expect(await runPage(fanouts, runtime.db, { fanoutId: created.id, after: null })).toBe('stale');
    expect(await runPage(fanouts, runtime.db, { fanoutId: created.id, after: 'c2' })).toBe('page');
    const cancelled = await runtime.db.transaction((tx) => cancelFanout(tx, created.id));
    expect(cancelled).toMatchObject({ status: 'cancelled', started: 4, cursor: 'c4' });
    expect(await runPage(fanouts, runtime.db, { fanoutId: created.id, after: 'c4' })).toBe('stopped');
    expect((await runsOf(created.id)).map((r) => r.user_id)).toEqual(['c1', 'c2', 'c3', 'c4']);
    const http = await api<{ status: string; started: number }>('GET', `/v1/fanouts/${created.id}`);
    expect(http.body).toMatchObject({ status: 'cancelled', started: 4, planned: 5 });
  });
});
