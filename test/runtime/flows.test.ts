/**
 * The other seed flows on the real runtime: cart recovery (delay, send window, throttle), the comment digest,
 * and two runtime processes sharing one database (each job done once).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isWindowOpen } from '../../compiler/bundle/window.ts';
import type { Runtime } from '../../runtime/server.ts';
import { client, eventually, exampleBundle, messagesOf, shorten, startTestRuntime, type Api } from './harness.ts';

let runtime: Runtime;
let api: Api;

beforeAll(async () => {
  // 1 h → 100 ms: the one-day digest window and the cart's day-long wait take 2.4 s.
  runtime = await startTestRuntime('flows', { bundle: shorten(await exampleBundle(), 100) });
  api = client(runtime);
});
afterAll(async () => {
  await runtime?.stop();
});

/** A time zone where the cart window (09:00–21:00) is open now, so the test does not wait for morning. */
function daytimeZone(): string {
  const window = { days: [1, 2, 3, 4, 5, 6, 7], startMinute: 10 * 60, endMinute: 20 * 60, timezone: 'user' };
  const zones = ['UTC', 'Europe/Paris', 'Asia/Tokyo', 'America/New_York', 'America/Los_Angeles', 'Asia/Kolkata', 'Pacific/Auckland', 'America/Sao_Paulo'];
  return zones.find((z) => isWindowOpen(window, z, Date.now()))!;
}

const cart = (n: number) => ({ cart_id: `c${n}`, item_count: 2, cart_url: 'https://shop.example.com/cart' });

describe('cart recovery', () => {
  it('sends the reminder, then the last call on the first reachable channel, inside the user’s window', async () => {
    await api('PUT', '/v1/users/shopper', { email: 'shopper@example.com', phone_number: '+15555550111', timezone: daytimeZone() });
    const r = await api<{ runs: string[] }>('POST', '/v1/events', { event: 'cart_abandoned', userId: 'shopper', properties: cart(1) });
    const messages = await eventually('the last call', async () => {
      const list = await messagesOf(api, 'shopper');
      return list.some((m) => m.step === 'last-call' && m.status === 'sent') ? list : null;
    });
    expect(messages.find((m) => m.step === 'reminder-email')).toMatchObject({ channel: 'email', status: 'sent' });
    // Routing single over push, sms, email: the shopper has no push token, and promotions are not on by
    // default for SMS (the category's default channels are email and push), so email carries the last call.
    const lastCall = messages.filter((m) => m.step === 'last-call');
    expect(lastCall.find((m) => m.channel === 'push')).toMatchObject({ status: 'skipped', reason: 'no_address' });
    expect(lastCall.find((m) => m.channel === 'sms')).toMatchObject({ status: 'skipped', reason: 'preference' });
    expect(lastCall.find((m) => m.channel === 'email')).toMatchObject({ status: 'sent' });
    const run = await api<{ run: { status: string } }>('GET', `/v1/runs/${r.body.runs[0]}`);
    expect(run.body.run.status).toBe('completed');
  });

  it('defers a send outside the user’s window to its next opening', async () => {
    const night = ['UTC', 'Europe/Paris', 'Asia/Tokyo', 'America/New_York', 'America/Los_Angeles', 'Asia/Kolkata', 'Pacific/Auckland'].find(
      (z) => !isWindowOpen({ days: [1, 2, 3, 4, 5, 6, 7], startMinute: 8 * 60, endMinute: 22 * 60, timezone: 'user' }, z, Date.now()),
    )!;
    await api('PUT', '/v1/users/night-owl', { email: 'owl@example.com', timezone: night });
    const r = await api<{ runs: string[] }>('POST', '/v1/events', { event: 'cart_abandoned', userId: 'night-owl', properties: cart(2) });
    const run = await eventually('the deferral', async () => {
      const got = await api<{ run: { waiting: { kind: string; until: number } | null; history: { outcome: string; stepId: string }[] } }>(
        'GET',
        `/v1/runs/${r.body.runs[0]}`,
      );
      return got.body.run.waiting?.kind === 'window' ? got.body.run : null;
    });
    expect(run.waiting!.until).toBeGreaterThan(Date.now());
    expect(run.history.some((h) => h.stepId === 'reminder-email' && h.outcome === 'deferred')).toBe(true);
    expect((await messagesOf(api, 'night-owl')).filter((m) => m.step === 'reminder-email')).toEqual([]);
  });

  it('throttles a second abandoned cart within the day', async () => {
    await api('PUT', '/v1/users/twice', { email: 'twice@example.com', timezone: daytimeZone() });
    const first = await api<{ runs: string[] }>('POST', '/v1/events', { event: 'cart_abandoned', userId: 'twice', properties: cart(3) });
    const second = await api<{ runs: string[] }>('POST', '/v1/events', { event: 'cart_abandoned', userId: 'twice', properties: cart(4) });
    // Whichever run reaches the throttle first passes; the other ends throttled.
    const outcomes = async (id: string) =>
      (await api<{ run: { history: { outcome: string; stepId: string }[] } }>('GET', `/v1/runs/${id}`)).body.run.history
        .filter((h) => h.stepId === 'once-a-day')
        .map((h) => h.outcome);
    const both = await eventually('both runs past the throttle', async () => {
      const o = [await outcomes(first.body.runs[0]!), await outcomes(second.body.runs[0]!)];
      return o.every((x) => x.length > 1) ? o : null;
    });
    expect(both.map((o) => o.at(-1)).sort()).toEqual(['allowed', 'throttled']);
  });
});

describe('comment digest', () => {
  it('collects the comments of the window into one email', async () => {
    await api('PUT', '/v1/users/author', { email: 'author@example.com' });
    const comment = (n: number) => ({
      comment_id: `k${n}`,
      author_name: `Reader ${n}`,
      post_title: 'Why Postgres',
      excerpt: 'Nice',
      post_url: 'https://blog.example.com/p',
    });
    for (const n of [1, 2, 3]) await api('POST', '/v1/events', { event: 'comment_added', userId: 'author', properties: comment(n) });
    const digest = await eventually('the digest email', async () => (await messagesOf(api, 'author')).find((m) => m.step === 'digest-email'));
    const text = String(digest.content?.text ?? digest.content?.html);
    for (const n of [1, 2, 3]) expect(text).toContain(`Reader ${n}`);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect((await messagesOf(api, 'author')).filter((m) => m.step === 'digest-email')).toHaveLength(1);
  });
});

describe('several processes on one database', () => {
  it('shares the work: every run completes once, each message is sent once', async () => {
    const second = await startTestRuntime('flows', { databaseUrl: runtime.config.databaseUrl!, bundle: shorten(await exampleBundle(), 100), http: false });
    try {
      const users = Array.from({ length: 20 }, (_, i) => `crowd-${i}`);
      for (const u of users) await api('PUT', `/v1/users/${u}`, { email: `${u}@example.com` });
      for (const u of users) {
        await api('POST', '/v1/events', {
          event: 'checkout_completed',
          userId: u,
          properties: { order_id: `o-${u}`, total: 5, currency: 'EUR', items: [{ name: 'Tea', quantity: 1, price: 5 }] },
        });
      }
      for (const u of users) {
        const list = await eventually(`the receipt of ${u}`, async () => {
          const m = await messagesOf(api, u);
          return m.some((x) => x.step === 'receipt-push') ? m : null;
        });
        expect(list.filter((m) => m.step === 'receipt-email' && m.status === 'sent')).toHaveLength(1);
      }
    } finally {
      await second.stop();
    }
  });
});

describe('schedules', () => {
  it('registers a cron workflow with pg-boss’s scheduler on load, and removes it when it leaves the bundle', async () => {
    const base = shorten(await exampleBundle(), 100);
    const { version: _v, formatVersion: _f, ...content } = base;
    const weekly = {
      ...content.workflows['comment-digest']!,
      id: 'weekly-report',
      trigger: { type: 'schedule' as const, cron: '0 9 * * 1' },
      steps: [{ kind: 'cancel' as const, id: 'noop' }],
    };
    const { sealBundle } = await import('../../compiler/bundle/canonical.ts');
    await runtime.loadBundle(sealBundle({ ...content, workflows: { ...content.workflows, 'weekly-report': weekly } }));
    const schedules = await runtime.deps.boss.getSchedules('herald-schedule');
    expect(schedules.map((s) => [s.key, s.cron])).toEqual([['weekly-report', '0 9 * * 1']]);
    expect((await runtime.deps.boss.getSchedules('herald-maintenance')).map((s) => s.key)).toEqual(['retention']);
    await runtime.loadBundle(base);
    expect(await runtime.deps.boss.getSchedules('herald-schedule')).toEqual([]);
  });
});
