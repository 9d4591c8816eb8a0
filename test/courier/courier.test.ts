/**
 * Courier's own client (`@trycourier/courier`, pointed at the runtime with `baseURL`) against a live runtime:
 * sends go out through the real SendGrid and Twilio SDKs to local fakes, and the message log and Courier's
 * message status follow.
 */
import Courier from '@trycourier/courier';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sql from '../../runtime/db/sql.ts';
import { rows } from '../../runtime/db/sql-client.ts';
import type { Runtime } from '../../runtime/server.ts';
import { startFakeSendgrid, startFakeTwilio, type FakeProvider } from '../fakes/providers.ts';
import { API_KEY, client, eventually, messagesOf, startTestRuntime, type Api } from '../runtime/harness.ts';

let sendgrid: FakeProvider;
let twilio: FakeProvider;
let runtime: Runtime;
let api: Api;
let courier: Courier;

beforeAll(async () => {
  [sendgrid, twilio] = await Promise.all([
    startFakeSendgrid({ apiKey: 'SG.courier' }),
    startFakeTwilio({ accountSid: 'AC00000000000000000000000000000002', authToken: 'courier-token' }),
  ]);
  runtime = await startTestRuntime('courier', {
    env: {
      SENDGRID_API_KEY: 'SG.courier',
      SENDGRID_API_URL: sendgrid.url,
      TWILIO_ACCOUNT_SID: 'AC00000000000000000000000000000002',
      TWILIO_AUTH_TOKEN: 'courier-token',
      TWILIO_API_URL: twilio.url,
    },
  });
  api = client(runtime);
  courier = new Courier({ apiKey: API_KEY, baseURL: runtime.url, maxRetries: 0 });
}, 60_000);

afterAll(async () => {
  await runtime?.stop();
  await Promise.all([sendgrid?.close(), twilio?.close()]);
});

const mailTo = (address: string) =>
  sendgrid.requests.filter((r) => (r.body as { personalizations: { to: { email: string }[] }[] }).personalizations[0]!.to[0]!.email === address);
const textsTo = (phone: string) => twilio.requests.filter((r) => (r.body as Record<string, string>).To === phone);

describe('the Courier-compatible API through Courier’s own client', () => {
  it('sends inline content on every channel of an `all` routing, and reports the status as it moves', async () => {
    await courier.profiles.create('ada', { profile: { email: 'ada@example.com', phone_number: '+15550001111', first_name: 'Ada' } });
    // The seed's Courier payload: a user, inline content with variables, both email and SMS.
    const { requestId } = await courier.send.message({
      message: {
        to: { user_id: 'ada' },
        content: { title: 'Welcome, {{first_name}}!', body: 'Your trial of {{plan}} has started.' },
        data: { first_name: 'Ada', plan: 'Pro' },
        routing: { method: 'all', channels: ['email', 'sms'] },
        metadata: { event: 'trial_started' },
      },
    });
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    await eventually('the email and the SMS', async () => mailTo('ada@example.com').length === 1 && textsTo('+15550001111').length === 1);
    const mail = mailTo('ada@example.com')[0]!.body as { subject: string; content: { type: string; value: string }[] };
    expect(mail.subject).toBe('Welcome, Ada!');
    expect(mail.content.find((c) => c.type === 'text/plain')!.value).toBe('Your trial of Pro has started.');
    expect((textsTo('+15550001111')[0]!.body as Record<string, string>).Body).toBe('Welcome, Ada!\nYour trial of Pro has started.');

    const sent = await eventually('Courier status SENT', async () => {
      const m = await courier.messages.retrieve(requestId);
      return m.status === 'SENT' ? m : null;
    });
    expect(sent).toMatchObject({ id: requestId, recipient: 'ada', event: 'trial_started', notification: 'inline' });
    expect(sent.sent).toBeGreaterThanOrEqual(sent.enqueued);
    expect(sent.providers?.map((p) => (p as { provider: string }).provider).sort()).toEqual(['sendgrid', 'twilio']);

    // An open recorded on the email moves the Courier status on.
    const email = (await messagesOf(api, 'ada')).find((m) => m.channel === 'email')!;
    await api('POST', `/v1/messages/${email.id}/events`, { event: 'opened' });
    expect((await courier.messages.retrieve(requestId)).status).toBe('OPENED');
  });

  it('sends a bundle template to an address without a profile, on the first channel that reaches it', async () => {
    const { requestId } = await courier.send.message({
      message: {
        to: { email: 'guest@example.com' },
        template: 'security-code',
        data: { code: '123456', expires_in_minutes: 5 },
        routing: { method: 'single', channels: ['sms', 'email'] },
      },
    });
    await eventually('the code by email', async () => mailTo('guest@example.com').length === 1);
    const status = await eventually('SENT', async () => {
      const m = await courier.messages.retrieve(requestId);
      return m.status === 'SENT' ? m : null;
    });
    expect(status.recipient).toBe('guest@example.com');
    expect(status.notification).toBe('security-code');
  });

  it('sends to a list of recipients and names a provider per channel', async () => {
    const { requestId } = await courier.send.message({
      message: {
        to: [{ email: 'one@example.com' }, { email: 'two@example.com' }],
        content: { title: 'Hello', body: 'Hi there' },
        routing: { method: 'single', channels: ['email'] },
        providers: { email: 'sandbox-email' } as never,
      },
    });
    // One run per recipient under the request; the sandbox provider was named, so both are logged as sent by
    // it and nothing reaches SendGrid.
    const sent = await eventually('both messages sent', async () => {
      const runs = await rows<{ id: string }>(runtime.db, sql.runsOfRequest(requestId));
      const messages = await Promise.all(
        runs.map(async (r) => (await api<{ run: { messages: { status: string; provider: string }[] } }>('GET', `/v1/runs/${r.id}`)).body.run.messages),
      );
      const all = messages.flat();
      return runs.length === 2 && all.length === 2 && all.every((m) => m.status === 'sent') ? all : null;
    });
    expect(sent.map((m) => m.provider)).toEqual(['sandbox-email', 'sandbox-email']);
    expect(mailTo('one@example.com')).toHaveLength(0);
    expect(mailTo('two@example.com')).toHaveLength(0);
  });

  it('keeps profiles and per-topic preferences in Courier’s shapes', async () => {
    await courier.profiles.replace('grace', { profile: { email: 'grace@example.com', plan: 'team' } });
    const profile = await courier.profiles.retrieve('grace');
    expect(profile.profile).toEqual({ email: 'grace@example.com', plan: 'team' });
    await courier.profiles.create('grace', { profile: { locale: 'fr' } });
    expect((await courier.profiles.retrieve('grace')).profile).toEqual({ email: 'grace@example.com', plan: 'team', locale: 'fr' });

    await courier.users.preferences.updateOrCreateTopic('promotions', { user_id: 'grace', topic: { status: 'OPTED_OUT' } });
    const prefs = await courier.users.preferences.retrieve('grace');
    expect(prefs.items.find((t) => t.topic_id === 'promotions')).toMatchObject({ status: 'OPTED_OUT' });
    expect(prefs.items.find((t) => t.topic_id === 'security')).toMatchObject({ status: 'REQUIRED' });
    await courier.users.preferences.updateOrCreateTopic('onboarding', {
      user_id: 'grace',
      topic: { status: 'OPTED_IN', has_custom_routing: true, custom_routing: ['inbox'] },
    });
    const onboarding = (await courier.users.preferences.retrieveTopic('onboarding', { user_id: 'grace' })).topic;
    expect(onboarding).toMatchObject({ status: 'OPTED_IN', has_custom_routing: true, custom_routing: ['inbox'] });
    // Herald's own view agrees.
    const herald = await api<{ categories: Record<string, { channels: Record<string, { allowed: boolean }> }> }>('GET', '/v1/users/grace/preferences');
    expect(herald.body.categories.promotions!.channels.email!.allowed).toBe(false);
    expect(herald.body.categories.onboarding!.channels.email!.allowed).toBe(false);
    expect(herald.body.categories.onboarding!.channels.inapp!.allowed).toBe(true);
  });

  it('invokes a workflow as an automation', async () => {
    const { runId } = await courier.automations.invoke.invokeByTemplate('onboarding', {
      recipient: 'linus',
      profile: { email: 'linus@example.com' },
      data: { first_name: 'Linus', plan_type: 'pro' },
    });
    await eventually('the welcome email', async () => mailTo('linus@example.com').length >= 1);
    const run = await api<{ run: { workflow: string } }>('GET', `/v1/runs/${runId}`);
    expect(run.body.run.workflow).toBe('onboarding');
  });

  it('refuses bad input in Courier’s error shape', async () => {
    const raw = async (path: string, body: unknown, key = API_KEY) => {
      const r = await fetch(`${runtime.url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: r.status, body: (await r.json()) as { message: string; type: string } };
    };
    const unknown = await raw('/send', { message: { to: { user_id: 'x' }, template: 'no-such-template' } });
    expect(unknown.status).toBe(400);
    expect(unknown.body).toMatchObject({ type: 'invalid_request_error' });
    expect(unknown.body.message).toContain('unknown template "no-such-template"');
    const both = await raw('/send', { message: { to: { user_id: 'x' } } });
    expect(both.status).toBe(400);
    expect(both.body.message).toContain('template or content');
    const channel = await raw('/send', {
      message: { to: { user_id: 'x' }, content: { title: 't', body: 'b' }, routing: { method: 'all', channels: ['fax'] } },
    });
    expect(channel.body.message).toContain('"fax" is neither a channel nor a provider');
    const auth = await raw('/send', { message: {} }, 'wrong');
    expect(auth).toMatchObject({ status: 401, body: { type: 'authentication_error' } });
    await expect(courier.messages.retrieve('00000000-0000-4000-8000-000000000000')).rejects.toMatchObject({ status: 404 });
  });
});
