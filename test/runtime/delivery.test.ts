/**
 * What the driver promises about sends: provider failover in the channel's order (and `failed` when every
 * provider fails, without stopping the run), no second send when a fact is redelivered, runs pinned to the
 * bundle they started under, and scheduled slots that start one run however often their job is retried.
 * Providers here are fakes behind the real adapter interface; everything else is the real runtime.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sealBundle } from '../../compiler/bundle/canonical.ts';
import type { Bundle, Step } from '../../compiler/bundle/schema.ts';
import { processFact } from '../../runtime/execution/batch.ts';
import { startRuns } from '../../runtime/intake/runs.ts';
import type { DeliveryProvider, DeliveryResult, OutboundMessage } from '../../runtime/delivery/providers/types.ts';
import type { Runtime } from '../../runtime/server.ts';
import { client, eventually, exampleBundle, messagesOf, shorten, startTestRuntime, type Api, type MessageView } from './harness.ts';

/** Fails every address containing `down`; otherwise accepts. Records what it was asked to send. */
function fakeProvider(name: string, sent: string[], options: { alwaysFail?: boolean } = {}): DeliveryProvider {
  return {
    kind: `fake-${name}`,
    async send(message: OutboundMessage): Promise<DeliveryResult> {
      const to = (message.channel === 'sms' ? message.to.phone_number : message.to.email) ?? '';
      if (options.alwaysFail || to.includes('down')) return { ok: false, retryable: true, error: `${name} is unreachable`, response: { status: 503 } };
      sent.push(`${name}:${message.channel}:${to}`);
      return { ok: true, providerMessageId: `${name}-${message.messageId}`, response: { accepted: true } };
    },
  };
}

let runtime: Runtime;
let api: Api;
let base: Bundle;
const sent: string[] = [];

beforeAll(async () => {
  base = shorten(await exampleBundle());
  runtime = await startTestRuntime('delivery', {
    bundle: base,
    adapters: {
      sendgrid: fakeProvider('sendgrid', sent, { alwaysFail: true }),
      'sandbox-email': fakeProvider('backup-email', sent),
      twilio: fakeProvider('twilio', sent),
    },
  });
  api = client(runtime);
});
afterAll(async () => {
  await runtime?.stop();
});

type Message = MessageView;

let phones = 0;
async function trial(userId: string, email: string) {
  // A number of its own per user: tests run at once, and count what was sent to whom.
  await api('PUT', `/v1/users/${userId}`, { email, phone_number: `+1555555${String(++phones).padStart(4, '0')}` });
  const r = await api<{ runs: string[] }>('POST', '/v1/events', { event: 'trial_started', userId, properties: { first_name: 'Ada', plan_type: 'pro' } });
  expect(r.status).toBe(202);
  return r.body.runs[0]!;
}

async function finished(runId: string) {
  return eventually(`run ${runId} to finish`, async () => {
    const r = await api<{ run: { status: string; bundleVersion: string; messages: Message[] } }>('GET', `/v1/runs/${runId}`);
    return ['completed', 'cancelled', 'failed'].includes(r.body.run.status) ? r.body.run : null;
  });
}

// Independent of each other: they run at once (each waits out a shortened two-hour wait).
describe.concurrent('sends', () => {
  it('fails over to the next provider of the channel, and logs each attempt', async () => {
    const runId = await trial('failover', 'ada@example.com');
    const welcome = await eventually('the welcome email', async () => (await messagesOf(api, 'failover')).find((m) => m.step === 'welcome'));
    expect(welcome).toMatchObject({ status: 'sent', provider: 'sandbox-email' });
    // Queued, then SendGrid's attempts (retried with backoff, or skipped once its circuit breaker opened:
    // other tests here fail it too), then the next provider of the channel.
    const steps = welcome.history.map((h) => [h.status, h.provider]);
    expect(steps[0]).toEqual(['queued', undefined]);
    expect(steps.at(-1)).toEqual(['sent', 'sandbox-email']);
    const middle = steps.slice(1, -1);
    expect(middle.length).toBeGreaterThan(0);
    expect(middle.every(([status, provider]) => provider === 'sendgrid' && (status === 'attempt_failed' || status === 'attempt_skipped'))).toBe(true);
    const failed = welcome.history.find((h) => h.status === 'attempt_failed');
    if (failed) expect(failed.error).toBe('sendgrid is unreachable');
    expect(sent).toContain('backup-email:email:ada@example.com');
    await finished(runId);
  });

  it('marks the message failed when every provider fails, and the run goes on', async () => {
    const runId = await trial('all-down', 'down@example.com');
    const run = await finished(runId);
    expect(run.status).toBe('completed');
    const welcome = run.messages.find((m) => m.step === 'welcome')!;
    expect(welcome).toMatchObject({ status: 'failed', reason: 'all_providers_failed' });
    const tried = welcome.history.filter((h) => h.status === 'attempt_failed' || h.status === 'attempt_skipped').map((h) => h.provider);
    expect([...new Set(tried)]).toEqual(['sendgrid', 'sandbox-email']);
    // Never opened (it was never sent): the wait times out and the SMS nudge goes out through Twilio.
    expect(run.messages.find((m) => m.step === 'nudge-sms')).toMatchObject({ status: 'sent', provider: 'twilio' });
  });

  it('sends nothing again when a fact is redelivered after it was applied', async () => {
    const runId = await trial('redelivered', 'redelivered@example.com');
    await finished(runId);
    const phone = (await api<{ user: { phone_number: string } }>('GET', '/v1/users/redelivered')).body.user.phone_number;
    const mine = () => sent.filter((x) => x.endsWith(':redelivered@example.com') || x.endsWith(`:${phone}`)).length;
    const before = mine();
    expect(before).toBe(2); // the welcome email and the SMS nudge
    const logged = (await messagesOf(api, 'redelivered')).length;
    // What pg-boss does when a job's completion is lost: the same facts, again.
    for (const fact of [
      { type: 'start' as const, now: Date.now() },
      { type: 'engagement' as const, now: Date.now(), stepId: 'welcome', kind: 'opened' as const },
    ]) {
      await runtime.db.transaction((tx) => processFact(runtime.deps, tx, { runId, fact }));
    }
    expect(mine()).toBe(before);
    expect((await messagesOf(api, 'redelivered')).length).toBe(logged);
    expect((await finished(runId)).status).toBe('completed');
  });

  it('starts a run once for a given run id (a retried scheduled slot)', async () => {
    const workflow = base.workflows['checkout-receipt']!;
    const runId = '6b0f0f8e-2f7a-4c57-9d0e-2f4a3c1b0001';
    const input = { bundle: base, workflows: [workflow], runIds: [runId], userId: 'slot-user', recipient: null, data: {}, triggerEvent: null };
    const first = await runtime.db.transaction((tx) => startRuns(runtime.deps, tx, input));
    const again = await runtime.db.transaction((tx) => startRuns(runtime.deps, tx, input));
    expect(first).toEqual([runId]);
    expect(again).toEqual([]);
  });

  it('logs the sends a throttle held back as skipped (throttled), with the count that decided it', async () => {
    await api('PUT', '/v1/users/twice-throttled', { email: 'twice@example.com' });
    const cart = (n: number) => ({ cart_id: `c${n}`, item_count: 1, cart_url: 'https://shop.example.com/cart' });
    const first = await api<{ runs: string[] }>('POST', '/v1/events', { event: 'cart_abandoned', userId: 'twice-throttled', properties: cart(1) });
    const second = await api<{ runs: string[] }>('POST', '/v1/events', { event: 'cart_abandoned', userId: 'twice-throttled', properties: cart(2) });
    // Workers take jobs concurrently, so either run may reach the throttle first: exactly one passes (and then
    // waits for the cart window), the other ends throttled.
    const ids = [first.body.runs[0]!, second.body.runs[0]!];
    const run = await eventually('one run to end throttled', async () => {
      for (const id of ids) {
        const r = await api<{ run: { status: string; bundleVersion: string; messages: Message[] } }>('GET', `/v1/runs/${id}`);
        if (r.body.run.status === 'completed') return r.body.run;
      }
      return null;
    });
    const other = ids.find((id) => id !== (run as unknown as { id: string }).id)!;
    expect((await api<{ run: { status: string } }>('GET', `/v1/runs/${other}`)).body.run.status).not.toBe('completed');
    expect(run.messages.map((m) => [m.step, m.channel, m.status, m.reason])).toEqual([
      ['reminder-email', 'email', 'skipped', 'throttled'],
      ['last-call', 'push', 'skipped', 'throttled'],
    ]);
    expect(run.messages[0]!.history[0]).toMatchObject({ detail: { throttle: 'once-a-day', count: 1, limit: 1 } });
  });
});

// Alone, last: it changes the live bundle.
it('keeps a run in flight on the bundle it started under when a new one goes live', async () => {
  const runId = await trial('pinned', 'pinned@example.com');
  await eventually('the welcome email', async () => (await messagesOf(api, 'pinned')).find((m) => m.step === 'welcome'));
  // The new version renames the SMS nudge: a run on the new bundle could never produce `nudge-sms`.
  const rename = (steps: Step[]): Step[] =>
    steps.map((s) => (s.kind === 'branch' ? { ...s, otherwise: s.otherwise.map((o) => (o.id === 'nudge-sms' ? { ...o, id: 'nudge-sms-v2' } : o)) } : s));
  const { version: _v, formatVersion: _f, ...content } = base;
  const onboarding = content.workflows.onboarding!;
  const next = sealBundle({ ...content, workflows: { ...content.workflows, onboarding: { ...onboarding, steps: rename(onboarding.steps) } } });
  expect(next.version).not.toBe(base.version);
  await runtime.loadBundle(next);

  const run = await finished(runId);
  expect(run.bundleVersion).toBe(base.version);
  expect(run.messages.map((m) => m.step)).toContain('nudge-sms');
  const later = await trial('pinned-later', 'later@example.com');
  const laterRun = await finished(later);
  expect(laterRun.bundleVersion).toBe(next.version);
  expect(laterRun.messages.map((m) => m.step)).toContain('nudge-sms-v2');
  expect((await fetch(`${runtime.url}/readyz`).then((r) => r.json())).bundle).toBe(next.version);
});
