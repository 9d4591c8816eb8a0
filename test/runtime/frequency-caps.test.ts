/**
 * Frequency caps on the real runtime (HTTP triggers, PostgreSQL, pg-boss timers, sandbox providers): the
 * example's SMS cap (3 a day) counted per user across workflows in the database, a critical send passing it,
 * a category cap counted by the category each message was logged with, and the cap holding when sends for one
 * user race in two processes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bundle } from '../../compiler/bundle/schema.ts';
import { isWindowOpen } from '../../compiler/bundle/window.ts';
import { FrequencyLedger } from '../../runtime/delivery/frequency.ts';
import type { Runtime } from '../../runtime/server.ts';
import { withLimits } from '../setup/limits.ts';
import { client, eventually, exampleBundle, messagesOf, shorten, startTestRuntime, type Api, type MessageView } from './harness.ts';

const DAY = 86_400_000;
let runtime: Runtime;
let api: Api;
let bundle: Bundle;

beforeAll(async () => {
  // 1 h → 100 ms: onboarding's two-hour wait takes 200 ms, the cart's day 2.4 s. The caps are not shortened: a
  // day is longer than the test, so every send of it is in the window. Beside the example's SMS cap, one on
  // promotions (the cart recovery's category), to count by category.
  const example = shorten(await exampleBundle(), 100);
  bundle = withLimits(example, [...(example.settings.limits ?? []), { category: 'promotions', max: 1, perMs: 7 * DAY }]);
  runtime = await startTestRuntime('frequency-caps', { bundle });
  api = client(runtime);
});
afterAll(async () => {
  await runtime?.stop();
});

let phones = 0;
async function user(id: string, extra: Record<string, unknown> = {}) {
  await api('PUT', `/v1/users/${id}`, { email: `${id}@example.com`, phone_number: `+1555888${String(++phones).padStart(4, '0')}`, ...extra });
}
const trigger = async (event: string, userId: string, properties: Record<string, unknown>) =>
  (await api<{ runs: string[] }>('POST', '/v1/events', { event, userId, properties })).body.runs[0]!;
const securityCode = (userId: string, n: number) => trigger('security_code_requested', userId, { code: `10000${n}`, expires_in_minutes: 10 });
const trial = (userId: string) => trigger('trial_started', userId, { first_name: 'Ada', plan_type: 'pro' });
const sms = (list: MessageView[]) => list.filter((m) => m.channel === 'sms');

async function messagesWhen(userId: string, what: string, done: (list: MessageView[]) => boolean) {
  return eventually(what, async () => {
    const list = await messagesOf(api, userId);
    return done(list) ? list : null;
  });
}

describe('the SMS cap (3 a day)', () => {
  it('skips the 4th SMS of the day frequency_cap, counting another workflow’s sends, and lets a critical send pass', async () => {
    await user('capped');
    // Three sign-in codes: critical, never capped, but each one an SMS the user received.
    for (const n of [1, 2, 3]) await securityCode('capped', n);
    await messagesWhen('capped', 'three codes by SMS', (list) => sms(list).filter((m) => m.status === 'sent').length === 3);

    const onboarding = await trial('capped');
    const list = await messagesWhen('capped', 'the onboarding nudge', (l) => l.some((m) => m.step === 'nudge-sms'));
    const nudge = list.find((m) => m.step === 'nudge-sms')!;
    expect(nudge).toMatchObject({ channel: 'sms', status: 'skipped', reason: 'frequency_cap', provider: null });
    expect(nudge.history).toMatchObject([{ status: 'skipped', reason: 'frequency_cap', detail: { cap: 'sms 3/1d', count: 3 } }]);
    // The why-log: the run's history names the cap too.
    const run = await api<{ run: { status: string; history: { stepId: string; outcome: string; detail?: { messages?: unknown[] } }[] } }>(
      'GET',
      `/v1/runs/${onboarding}`,
    );
    expect(run.body.run.status).toBe('completed');
    expect(run.body.run.history.find((h) => h.stepId === 'nudge-sms' && h.outcome === 'skipped')?.detail?.messages).toEqual([
      { messageId: nudge.id, channel: 'sms', status: 'skipped', reason: 'frequency_cap', detail: { cap: 'sms 3/1d', count: 3 } },
    ]);

    // A 4th code, over the cap: critical sends are never held back.
    await securityCode('capped', 4);
    const after = await messagesWhen('capped', 'the 4th code', (l) => l.filter((m) => m.step === 'code' && m.status === 'sent').length === 4);
    expect(sms(after).filter((m) => m.status === 'sent')).toHaveLength(4);
  });

  it('lets another user’s SMS through', async () => {
    await user('uncapped');
    await trial('uncapped');
    const list = await messagesWhen('uncapped', 'the onboarding nudge', (l) => l.some((m) => m.step === 'nudge-sms'));
    expect(list.find((m) => m.step === 'nudge-sms')).toMatchObject({ status: 'sent' });
  });

  it('holds when one user’s sends race: six nudges due at once, in two processes, exactly three sent', async () => {
    const second = await startTestRuntime('frequency-caps', { databaseUrl: runtime.config.databaseUrl!, bundle, http: false });
    try {
      await user('racer');
      await Promise.all(Array.from({ length: 6 }, () => trial('racer')));
      const list = await messagesWhen('racer', 'six nudges logged', (l) => l.filter((m) => m.step === 'nudge-sms').length === 6);
      const nudges = list.filter((m) => m.step === 'nudge-sms');
      expect(nudges.filter((m) => m.status === 'sent')).toHaveLength(3);
      expect(nudges.filter((m) => m.status === 'skipped').map((m) => m.reason)).toEqual(Array(3).fill('frequency_cap'));
    } finally {
      await second.stop();
    }
  });
});

/** A time zone where the cart's window (09:00–21:00) is open now, so the test does not wait for morning. */
function daytimeZone(): string {
  const window = { days: [1, 2, 3, 4, 5, 6, 7], startMinute: 10 * 60, endMinute: 20 * 60, timezone: 'user' };
  const zones = ['UTC', 'Europe/Paris', 'Asia/Tokyo', 'America/New_York', 'America/Los_Angeles', 'Asia/Kolkata', 'Pacific/Auckland', 'America/Sao_Paulo'];
  return zones.find((z) => isWindowOpen(window, z, Date.now()))!;
}

describe('a category cap (promotions: 1 a week)', () => {
  it('counts the messages logged in the category, whatever their channel, and falls through to none left', async () => {
    await user('shopper', { timezone: daytimeZone() });
    await trigger('cart_abandoned', 'shopper', { cart_id: 'c1', item_count: 2, cart_url: 'https://shop.example.com/cart' });
    const list = await messagesWhen('shopper', 'the last call', (l) => l.some((m) => m.step === 'last-call' && m.channel === 'email'));
    expect(list.find((m) => m.step === 'reminder-email')).toMatchObject({ status: 'sent' });
    // Single routing push → sms → email: no push token, SMS not a default of promotions, email over the cap.
    const lastCall = list.filter((m) => m.step === 'last-call').map((m) => [m.channel, m.status, m.reason]);
    expect(lastCall.sort()).toEqual([
      ['email', 'skipped', 'frequency_cap'],
      ['push', 'skipped', 'no_address'],
      ['sms', 'skipped', 'preference'],
    ]);
    expect(list.find((m) => m.step === 'last-call' && m.channel === 'email')!.history[0]).toMatchObject({
      detail: { cap: 'promotions 1/1w', count: 1 },
    });
    const { rows } = await runtime.db.query<{ category: string | null }>(
      "SELECT category FROM herald.messages WHERE user_id = 'shopper' AND step_id = 'reminder-email'",
    );
    expect(rows).toEqual([{ category: 'promotions' }]);
  });
});

describe('the count of one transaction (delivery/frequency.ts), on the same database', () => {
  const cap = { channel: 'sms' as const, max: 2, perMs: DAY, name: 'sms 2/1d' };
  const send = (userId: string) => ({ userId, channel: 'sms' as const, category: null });
  const logSent = (userId: string, status = 'sent') =>
    runtime.db.query(
      `INSERT INTO herald.messages (id, run_id, step_id, channel, workflow, template, user_id, status)
       VALUES (gen_random_uuid(), gen_random_uuid(), 's', 'sms', 'w', 't', $1, $2)`,
      [userId, status],
    );

  it('counts the runs of one batch that reach their sends together: the second sees the first, before either is logged', async () => {
    const verdicts = await runtime.db.transaction(async (tx) => {
      const ledger = new FrequencyLedger(tx);
      return Promise.all([1, 2, 3].map(() => ledger.admit(send('same-batch'), [cap], Date.now())));
    });
    expect(verdicts.map((v) => v.skip?.detail ?? null)).toEqual([null, null, { cap: 'sms 2/1d', count: 2 }]);
  });

  it('counts logged messages handed to a provider, not skipped or failed ones; a released send is uncounted', async () => {
    await logSent('logged');
    await logSent('logged', 'skipped');
    await logSent('logged', 'failed');
    await logSent('logged', 'delivered');
    await runtime.db.transaction(async (tx) => {
      const ledger = new FrequencyLedger(tx);
      expect((await ledger.admit(send('logged'), [cap], Date.now())).skip).toEqual({ reason: 'frequency_cap', detail: { cap: 'sms 2/1d', count: 2 } });
    });
    await runtime.db.transaction(async (tx) => {
      const ledger = new FrequencyLedger(tx);
      const first = await ledger.admit(send('released'), [cap], Date.now());
      if (first.skip) throw new Error('the first send is under the cap');
      first.release();
      expect((await ledger.admit(send('released'), [cap], Date.now())).skip).toBeNull();
    });
  });

  it('waits for another transaction holding the user, then counts what it logged', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    const first = runtime.db.transaction(async (tx) => {
      const ledger = new FrequencyLedger(tx);
      for (const _ of [1, 2]) expect((await ledger.admit(send('two-tx'), [cap], Date.now())).skip).toBeNull();
      await held;
      // What the batch logs at its end, in its transaction.
      for (const _ of [1, 2])
        await tx.query(
          "INSERT INTO herald.messages (id, run_id, step_id, channel, workflow, template, user_id, status) VALUES (gen_random_uuid(), gen_random_uuid(), 's', 'sms', 'w', 't', 'two-tx', 'sent')",
        );
    });
    await new Promise((r) => setTimeout(r, 200));
    const second = runtime.db.transaction(async (tx) => (await new FrequencyLedger(tx).admit(send('two-tx'), [cap], Date.now())).skip);
    await new Promise((r) => setTimeout(r, 300));
    release();
    await first;
    expect(await second).toEqual({ reason: 'frequency_cap', detail: { cap: 'sms 2/1d', count: 2 } });
  });
});
