/**
 * The seed's onboarding flow end to end: real HTTP, real Postgres, pg-boss timers, the sandbox providers.
 * Durations are shortened (2h → 2s) by the harness; everything else is the compiled example.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../runtime/server.ts';
import { client, eventually, messagesOf, startTestRuntime, type Api, type MessageView } from './harness.ts';

let runtime: Runtime;
let api: Api;
let n = 0;

beforeAll(async () => {
  runtime = await startTestRuntime('onboarding');
  api = client(runtime);
});
afterAll(async () => {
  await runtime?.stop();
});

async function newUser(profile: Record<string, unknown> = {}) {
  const id = `user-${++n}-${Date.now()}`;
  const r = await api('PUT', `/v1/users/${id}`, { email: `${id}@example.com`, phone_number: '+15555550100', ...profile });
  expect(r.status).toBe(200);
  return id;
}

async function trial(userId: string) {
  const r = await api<{ runs: string[] }>('POST', '/v1/events', { event: 'trial_started', userId, properties: { first_name: 'Ada', plan_type: 'pro' } });
  expect(r.status).toBe(202);
  expect(r.body.runs).toHaveLength(1);
  return r.body.runs[0]!;
}

const byStep = (messages: MessageView[], step: string) => messages.filter((m) => m.step === step);

async function finished(runId: string) {
  return eventually(`run ${runId} to finish`, async () => {
    const r = await api<{ run: { status: string; history: { outcome: string; stepId: string; detail?: Record<string, unknown> }[] } }>(
      'GET',
      `/v1/runs/${runId}`,
    );
    return ['completed', 'cancelled', 'failed'].includes(r.body.run.status) ? r.body.run : null;
  });
}

describe('onboarding', () => {
  it('sends the welcome email, then an SMS when it is not opened within the wait', async () => {
    const user = await newUser();
    const runId = await trial(user);
    const welcome = await eventually('the welcome email', async () => byStep(await messagesOf(api, user), 'welcome')[0]);
    // SENDGRID_API_KEY is unset: the sandbox stands in for SendGrid, and the log says so.
    expect(welcome).toMatchObject({ channel: 'email', status: 'sent', provider: 'sendgrid', providerResponse: { sandbox: true } });
    expect(welcome.content?.text).toContain('Hi Ada, welcome to the pro plan!');
    const run = await finished(runId);
    expect(run.status).toBe('completed');
    const messages = await messagesOf(api, user);
    expect(byStep(messages, 'nudge-sms')[0]).toMatchObject({ channel: 'sms', status: 'sent' });
    expect(byStep(messages, 'next-steps')).toHaveLength(0);
    expect(run.history.filter((h) => h.stepId === 'welcome-opened').map((h) => h.outcome)).toEqual(['waiting', 'timeout']);
  });

  it('sends next steps and no SMS when the welcome email is opened', async () => {
    const user = await newUser();
    const runId = await trial(user);
    const welcome = await eventually('the welcome email', async () => byStep(await messagesOf(api, user), 'welcome')[0]);
    const opened = await api('POST', `/v1/messages/${welcome.id}/events`, { event: 'opened' });
    expect(opened.status).toBe(202);
    // A second report of the same open must not resume the run twice.
    await api('POST', `/v1/messages/${welcome.id}/events`, { event: 'opened' });
    await finished(runId);
    const messages = await messagesOf(api, user);
    expect(byStep(messages, 'next-steps')).toHaveLength(1);
    expect(byStep(messages, 'nudge-sms')).toHaveLength(0);
    expect(byStep(messages, 'welcome')[0]?.status).toBe('opened');
  });

  it('nudges in the app instead of by SMS when the user was active within 5 minutes; reading it ends the run, no email', async () => {
    const user = await newUser();
    const runId = await trial(user);
    await api('POST', `/v1/users/${user}/heartbeat`);
    const nudge = await eventually('the in-app nudge', async () => byStep(await messagesOf(api, user), 'nudge-inapp')[0]);
    expect(nudge).toMatchObject({ channel: 'inapp', status: 'sent' });
    const inbox = await api<{ items: { title: string; id: string }[]; unread: number }>('GET', `/v1/users/${user}/inbox`);
    expect(inbox.body.unread).toBe(1);
    // The backend marks it read (the user read it elsewhere in the app): the run's wait for the read ends there.
    const read = await api('POST', `/v1/users/${user}/inbox/${inbox.body.items[0]!.id}/read`);
    expect(read.status).toBe(200);
    expect((await api<{ unread: number }>('GET', `/v1/users/${user}/inbox`)).body.unread).toBe(0);
    const run = await finished(runId);
    expect(run.history.filter((h) => h.stepId === 'nudge-read').map((h) => h.outcome)).toEqual(['waiting', 'matched']);
    const messages = await messagesOf(api, user);
    expect(byStep(messages, 'nudge-inapp')[0]).toMatchObject({ channel: 'inapp', status: 'read' });
    expect(byStep(messages, 'nudge-sms')).toHaveLength(0);
    expect(byStep(messages, 'nudge-email')).toHaveLength(0);
  });

  it('logs the SMS as skipped, with the rule, when the user opted out of SMS for onboarding', async () => {
    const user = await newUser();
    const saved = await api('PUT', `/v1/users/${user}/preferences`, { categories: { onboarding: { sms: false } } });
    expect(saved.status).toBe(200);
    const runId = await trial(user);
    await finished(runId);
    const sms = byStep(await messagesOf(api, user), 'nudge-sms')[0];
    expect(sms).toMatchObject({ channel: 'sms', status: 'skipped', reason: 'preference' });
  });

  it('survives a restart mid-wait: the run completes on the next runtime', async () => {
    const user = await newUser();
    const runId = await trial(user);
    await eventually('the welcome email', async () => byStep(await messagesOf(api, user), 'welcome')[0]);
    const url = runtime.config.databaseUrl!;
    await runtime.stop();
    runtime = await startTestRuntime('onboarding', { databaseUrl: url });
    api = client(runtime);
    const run = await finished(runId);
    expect(run.status).toBe('completed');
    expect(byStep(await messagesOf(api, user), 'nudge-sms')).toHaveLength(1);
  });
});
