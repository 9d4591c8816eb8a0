/**
 * The other seed flows on the real runtime: cart recovery (delay, send window, throttle), the comment digest
 * (on its schedule, and with a window), the trial-ending reminder (a delay until a date-time of the event), and
 * two runtime processes sharing one database (each job done once).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sealBundle } from '../../compiler/bundle/canonical.ts';
import type { Bundle } from '../../compiler/bundle/schema.ts';
import { isWindowOpen } from '../../compiler/bundle/window.ts';
import { wallTime } from '../../compiler/bundle/zone.ts';
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

/**
 * The example's comment digest goes out on a schedule (weekdays at 09:00 in the user's zone), which the runtime
 * reads on the real clock: here its time is moved to the next minute of the user's zone at least 8 s away,
 * every day, with `maxItems` 2. Nothing else of the bundle changes.
 */
function digestSoon(base: Bundle, zone: string): { bundle: Bundle; at: number } {
  const MINUTE = 60_000;
  const at = Math.ceil((Date.now() + 8_000) / MINUTE) * MINUTE;
  const atMinute = Math.floor((wallTime(at, zone) % 86_400_000) / MINUTE);
  const { version: _v, formatVersion: _f, ...content } = base;
  const workflow = content.workflows['comment-digest']!;
  const steps = workflow.steps.map((step) =>
    step.kind === 'digest' && 'schedule' in step ? { ...step, schedule: { days: [1, 2, 3, 4, 5, 6, 7], atMinute, timezone: 'user' }, maxItems: 2 } : step,
  );
  return { bundle: sealBundle({ ...content, workflows: { ...content.workflows, 'comment-digest': { ...workflow, steps } } }), at };
}

describe('comment digest', () => {
  it("collects the comments into one email at the schedule's next occurrence in the user's zone, listing maxItems of them", async () => {
    const zone = 'Asia/Kathmandu'; // UTC+05:45: a zone whose minutes are not UTC's hours
    const base = runtime.deps.bundles.live!;
    const { bundle, at } = digestSoon(base, zone);
    await runtime.loadBundle(bundle);
    try {
      await api('PUT', '/v1/users/digest-reader', { email: 'digest-reader@example.com', timezone: zone });
      const comment = (n: number) => ({
        comment_id: `s${n}`,
        author_name: `Reader ${n}`,
        post_title: 'Why Postgres',
        excerpt: 'Nice',
        post_url: 'https://blog.example.com/p',
      });
      const runs: string[] = [];
      for (const n of [1, 2, 3])
        runs.push(
          ...(await api<{ runs: string[] }>('POST', '/v1/events', { event: 'comment_added', userId: 'digest-reader', properties: comment(n) })).body.runs,
        );
      const owner = await api<{ run: { history: { stepId: string; outcome: string; detail?: Record<string, unknown> }[] } }>('GET', `/v1/runs/${runs[0]}`);
      expect(owner.body.run.history.find((h) => h.stepId === 'daily-digest' && h.outcome === 'owner')?.detail).toEqual({ until: at, timezone: zone });
      expect(Date.now()).toBeLessThan(at);
      const digest = await eventually(
        'the digest email',
        async () => (await messagesOf(api, 'digest-reader')).find((m) => m.step === 'digest-email'),
        at - Date.now() + 20_000,
      );
      expect(Date.now()).toBeGreaterThanOrEqual(at);
      expect(digest.content?.subject).toBe('3 new comments on your posts');
      const text = String(digest.content?.text);
      expect([1, 2, 3].map((n) => text.includes(`Reader ${n} on`))).toEqual([true, true, false]);
      expect(text).toContain('…and 1 more');
    } finally {
      await runtime.loadBundle(base);
    }
  }, 100_000);

  it('collects the comments of a window into one email (the form without a schedule)', async () => {
    const base = runtime.deps.bundles.live!;
    const { version: _v, formatVersion: _f, ...content } = base;
    const workflow = content.workflows['comment-digest']!;
    // A one-day window at this file's 1 h → 100 ms: 2.4 s.
    const steps = workflow.steps.map((step) => (step.kind === 'digest' ? { kind: 'digest' as const, id: step.id, windowMs: 2_400 } : step));
    await runtime.loadBundle(sealBundle({ ...content, workflows: { ...content.workflows, 'comment-digest': { ...workflow, steps } } }));
    try {
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
    } finally {
      await runtime.loadBundle(base);
    }
  });
});

describe('trial ending', () => {
  const DAY = 86_400_000;
  const subscribe = async (userId: string, trialEndsAt: number) => {
    await api('PUT', `/v1/users/${userId}`, { email: `${userId}@example.com` });
    const properties = { first_name: 'Ada', plan_type: 'pro', trial_ends_at: new Date(trialEndsAt).toISOString().replace(/\.\d{3}Z$/, 'Z') };
    const r = await api<{ runs: string[] }>('POST', '/v1/events', { event: 'subscription_created', userId, properties });
    expect(r.status).toBe(202);
    return r.body.runs[0]!;
  };
  type RunBody = { run: { status: string; history: { stepId: string; kind: string; outcome: string; detail?: Record<string, unknown> }[] } };

  it('waits until three days before trial_ends_at, read from the event, then sends the reminder', async () => {
    const remindAt = Math.ceil((Date.now() + 3_000) / 1_000) * 1_000;
    const run = await subscribe('trialist', remindAt + 3 * DAY);
    const waiting = await eventually('the delay', async () =>
      (await api<RunBody>('GET', `/v1/runs/${run}`)).body.run.history.find((h) => h.stepId === 'before-trial-end'),
    );
    expect(waiting).toMatchObject({ outcome: 'waiting', detail: { until: remindAt, ref: 'data.trial_ends_at' } });
    const reminder = await eventually('the reminder', async () => (await messagesOf(api, 'trialist')).find((m) => m.step === 'trial-ending-email'));
    expect(reminder.status).not.toBe('skipped');
    expect(Date.now()).toBeGreaterThanOrEqual(remindAt);
  });

  it('ends the run completed, sending nothing, when three days before the trial end has passed', async () => {
    const run = await subscribe('short-trial', Date.now() + DAY);
    const ended = await eventually('the run to end', async () => {
      const body = (await api<RunBody>('GET', `/v1/runs/${run}`)).body.run;
      return body.status === 'completed' ? body : null;
    });
    expect(ended.history.find((h) => h.stepId === 'before-trial-end')).toMatchObject({
      outcome: 'skipped',
      detail: { reason: 'until_past', ref: 'data.trial_ends_at' },
    });
    expect(ended.history.at(-1)).toMatchObject({ kind: 'run', outcome: 'completed', detail: { reason: 'until_past' } });
    expect(await messagesOf(api, 'short-trial')).toEqual([]);
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
          properties: { order_id: `o-${u}`, cart_id: `c-${u}`, total: 5, currency: 'EUR', items: [{ name: 'Tea', quantity: 1, price: 5 }] },
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
