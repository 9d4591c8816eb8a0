/**
 * The runtime against the providers' own SDKs: @sendgrid/mail, twilio and firebase-admin talk over loopback
 * to local fakes of SendGrid, Twilio and FCM (through the *_API_URL seams), and the fakes' signed webhooks
 * come back through the real HTTP routes. The seed onboarding flow, engagement from a signed SendGrid event,
 * refused forgeries, STOP, one-click unsubscribe, permanent errors and a 5xx storm with failover.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sealBundle } from '../../compiler/bundle/canonical.ts';
import type { Bundle } from '../../compiler/bundle/schema.ts';
import type { Runtime } from '../../runtime/server.ts';
import {
  startFakeFcm,
  startFakeSendgrid,
  startFakeTwilio,
  twilioError,
  writeTestServiceAccount,
  fcmError,
  type FakeFcm,
  type FakeProvider,
} from '../fakes/providers.ts';
import { sendgridKeyPair, signSendgrid, signTwilio } from '../fakes/sign.ts';
import { API_KEY, client, eventually, exampleBundle, messagesOf, shorten, startTestRuntime, type Api, type MessageView } from './harness.ts';

const SENDGRID_KEY = 'SG.test-key-do-not-log';
const SENDGRID_EU_KEY = 'SG.eu-test-key-do-not-log';
const TWILIO_SID = 'AC00000000000000000000000000000001';
const TWILIO_TOKEN = 'twilio-test-token-do-not-log';
const webhookKeys = sendgridKeyPair();

let sendgrid: FakeProvider;
let sendgridEu: FakeProvider;
let twilio: FakeProvider;
let fcm: FakeFcm;
let runtime: Runtime;
let api: Api;

type Message = MessageView;

/** The example bundle with a second SendGrid account to fail over to, each account at its own fake. */
function withProviders(bundle: Bundle): Bundle {
  const { version: _v, formatVersion: _f, ...content } = bundle;
  const quick = { retry: { attempts: 2, baseDelayMs: 20, maxDelayMs: 50 } };
  return sealBundle({
    ...content,
    providers: {
      ...content.providers,
      sendgrid: { ...content.providers.sendgrid!, options: { ...quick, apiUrl: sendgrid.url } },
      'sendgrid-eu': {
        id: 'sendgrid-eu',
        channel: 'email',
        kind: 'sendgrid',
        credentials: { apiKey: { env: 'SENDGRID_EU_API_KEY' } },
        from: 'hello@example.com',
        options: { ...quick, apiUrl: sendgridEu.url },
      },
      twilio: { ...content.providers.twilio!, options: quick },
      fcm: { ...content.providers.fcm!, options: quick },
    },
    channels: { ...content.channels, email: { channel: 'email', providers: ['sendgrid', 'sendgrid-eu', 'sandbox-email'] } },
  });
}

beforeAll(async () => {
  [sendgrid, sendgridEu, twilio, fcm] = await Promise.all([
    startFakeSendgrid({ apiKey: SENDGRID_KEY }),
    startFakeSendgrid({ apiKey: SENDGRID_EU_KEY }),
    startFakeTwilio({ accountSid: TWILIO_SID, authToken: TWILIO_TOKEN }),
    startFakeFcm(),
  ]);
  const account = writeTestServiceAccount(fcm);
  runtime = await startTestRuntime('real_providers', {
    // Two hours of waiting take four seconds: time to post a signed "open" before the wait runs out.
    bundle: withProviders(shorten(await exampleBundle(), 2_000)),
    env: {
      SENDGRID_API_KEY: SENDGRID_KEY,
      SENDGRID_EU_API_KEY: SENDGRID_EU_KEY,
      SENDGRID_WEBHOOK_PUBLIC_KEY: webhookKeys.publicKeyBase64,
      TWILIO_ACCOUNT_SID: TWILIO_SID,
      TWILIO_AUTH_TOKEN: TWILIO_TOKEN,
      TWILIO_API_URL: twilio.url,
      FIREBASE_SERVICE_ACCOUNT: account.path,
      FCM_API_URL: fcm.url,
    },
  });
  api = client(runtime);
}, 60_000);

afterAll(async () => {
  await runtime?.stop();
  await Promise.all([sendgrid, sendgridEu, twilio, fcm].map((f) => f?.close()));
});

let phones = 0;
async function user(id: string, extra: Record<string, unknown> = {}) {
  const phone = `+1555777${String(++phones).padStart(4, '0')}`;
  await api('PUT', `/v1/users/${id}`, { email: `${id}@example.com`, phone_number: phone, ...extra });
  return phone;
}

async function message(userId: string, step: string, done = (m: Message) => m.status !== 'queued') {
  return eventually(`${userId}'s ${step} message`, async () => {
    return (await messagesOf(api, userId)).find((m) => m.step === step && done(m)) ?? null;
  });
}

/** What SendGrid's fake received for one of our messages (our id travels in custom_args). */
function sendgridRequestFor(fake: FakeProvider, messageId: string) {
  return fake.requests.find((r) => (r.body as { custom_args?: Record<string, string> })?.custom_args?.herald_message_id === messageId);
}

async function postSendgridEvents(events: unknown[], options: { timestamp?: string; sign?: boolean; tamper?: boolean } = {}) {
  const body = JSON.stringify(events);
  const timestamp = options.timestamp ?? String(Math.floor(Date.now() / 1000));
  const signature = signSendgrid(webhookKeys.privateKey, timestamp, body);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (options.sign !== false) {
    headers['x-twilio-email-event-webhook-signature'] = signature;
    headers['x-twilio-email-event-webhook-timestamp'] = timestamp;
  }
  const response = await fetch(`${runtime.url}/webhooks/sendgrid`, { method: 'POST', headers, body: options.tamper ? body.replace('open', 'click') : body });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function postTwilio(path: string, params: Record<string, string>, options: { sign?: boolean; token?: string } = {}) {
  const url = `${runtime.deps.publicUrl}${path}`;
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (options.sign !== false) headers['x-twilio-signature'] = signTwilio(options.token ?? TWILIO_TOKEN, url, params);
  const response = await fetch(`${runtime.url}${path}`, { method: 'POST', headers, body: new URLSearchParams(params).toString() });
  return { status: response.status, text: await response.text() };
}

describe('the seed flow through the real SDKs', () => {
  it('emails through SendGrid, and texts through Twilio when the email is not opened', async () => {
    const phone = await user('no-open');
    await api('POST', '/v1/events', { event: 'trial_started', userId: 'no-open', properties: { first_name: 'Ada', plan_type: 'pro' } });
    const welcome = await message('no-open', 'welcome');
    expect(welcome).toMatchObject({ status: 'sent', provider: 'sendgrid' });
    const mail = sendgridRequestFor(sendgrid, welcome.id)!;
    expect(mail.headers.authorization).toBe(`Bearer ${SENDGRID_KEY}`);
    const sent = mail.body as { personalizations: { to: { email: string }[] }[]; subject?: string; headers?: Record<string, string> };
    expect(sent.personalizations[0]!.to[0]!.email).toBe('no-open@example.com');
    // Onboarding is a category users may leave: RFC 8058 one-click unsubscribe headers.
    expect(sent.headers?.['List-Unsubscribe']).toMatch(new RegExp(`^<${runtime.deps.publicUrl}/unsubscribe/[\\w-]+\\.[\\w-]+>$`));
    expect(sent.headers?.['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
    expect(welcome.providerMessageId).toBe(mail.answer!.headers['x-message-id']);

    const sms = await message('no-open', 'nudge-sms');
    expect(sms).toMatchObject({ status: 'sent', provider: 'twilio' });
    const text = twilio.requests.find((r) => (r.body as Record<string, string>).To === phone)!;
    expect((text.body as Record<string, string>).StatusCallback).toBe(`${runtime.deps.publicUrl}/webhooks/twilio/status?message=${sms.id}`);
    expect(sms.providerMessageId).toMatch(/^SM/);
  });

  it('follows a signed SendGrid open with the next-steps email, and sends no SMS', async () => {
    const phone = await user('opens');
    await api('POST', '/v1/events', { event: 'trial_started', userId: 'opens', properties: { first_name: 'Ada', plan_type: 'pro' } });
    const welcome = await message('opens', 'welcome');
    const sgId = `${sendgridRequestFor(sendgrid, welcome.id)!.answer!.headers['x-message-id'] as string}.filter0001.1.0`;
    const open = {
      email: 'opens@example.com',
      timestamp: Math.floor(Date.now() / 1000),
      event: 'open',
      sg_event_id: `open-${welcome.id}`,
      sg_message_id: sgId,
      herald_message_id: welcome.id,
    };
    const delivered = { ...open, event: 'delivered', sg_event_id: `delivered-${welcome.id}` };
    const posted = await postSendgridEvents([delivered, open]);
    expect(posted).toMatchObject({ status: 200, body: { applied: 2, duplicate: 0 } });

    const next = await message('opens', 'next-steps');
    expect(next).toMatchObject({ status: 'sent', provider: 'sendgrid' });
    const logged = await message('opens', 'welcome');
    expect(logged.status).toBe('opened');
    expect(logged.history.map((h) => h.status)).toEqual(['queued', 'sent', 'delivered', 'opened']);
    expect(logged.history.at(-1)!.payload).toMatchObject({ event: 'open', sg_event_id: `open-${welcome.id}` });

    // SendGrid retries: the same events again change nothing; a late "delivered" never hides the open.
    expect(await postSendgridEvents([open, delivered])).toMatchObject({ status: 200, body: { applied: 0, duplicate: 2 } });
    expect((await message('opens', 'welcome')).history).toHaveLength(4);
    expect(twilio.requests.some((r) => (r.body as Record<string, string>).To === phone)).toBe(false);
  });

  it('refuses forged, unsigned and stale SendGrid webhooks, and they change nothing', async () => {
    await user('forged');
    await api('POST', '/v1/events', { event: 'trial_started', userId: 'forged', properties: { first_name: 'Ada', plan_type: 'pro' } });
    const welcome = await message('forged', 'welcome');
    const click = {
      email: 'forged@example.com',
      timestamp: Math.floor(Date.now() / 1000),
      event: 'open',
      sg_event_id: `forged-${welcome.id}`,
      herald_message_id: welcome.id,
    };
    expect((await postSendgridEvents([click], { sign: false })).status).toBe(401);
    expect((await postSendgridEvents([click], { tamper: true })).status).toBe(403);
    expect((await postSendgridEvents([click], { timestamp: String(Math.floor(Date.now() / 1000) - 6 * 60) })).status).toBe(403);
    const after = await message('forged', 'welcome');
    expect(after.history.map((h) => h.status)).toEqual(['queued', 'sent']);
  });

  it('takes Twilio status callbacks signed with the auth token, once, and refuses the rest', async () => {
    await user('twilio-status');
    await api('POST', '/v1/events', { event: 'trial_started', userId: 'twilio-status', properties: { first_name: 'Ada', plan_type: 'pro' } });
    const sms = await message('twilio-status', 'nudge-sms');
    const path = `/webhooks/twilio/status?message=${sms.id}`;
    const params = { MessageSid: sms.providerMessageId!, MessageStatus: 'delivered', AccountSid: TWILIO_SID, To: '+15557770000' };
    expect((await postTwilio(path, params, { sign: false })).status).toBe(401);
    expect((await postTwilio(path, params, { token: 'not-the-token' })).status).toBe(403);
    expect((await postTwilio(path, params)).status).toBe(200);
    expect((await postTwilio(path, params)).text).toContain('"duplicate":1');
    // Out of order: "sent" after "delivered" leaves it delivered.
    await postTwilio(path, { ...params, MessageStatus: 'sent' });
    const logged = await message('twilio-status', 'nudge-sms');
    expect(logged.status).toBe('delivered');
    expect(logged.history.map((h) => h.status)).toEqual(['queued', 'sent', 'delivered', 'sent']);
  });

  it('honours an SMS STOP: later texts are skipped; START lets them through again', async () => {
    const phone = await user('stopper');
    const reply = await postTwilio('/webhooks/twilio/inbound', { From: phone, To: '+15005550006', Body: ' stop ', MessageSid: 'SMinbound1' });
    expect(reply.status).toBe(200);
    expect(reply.text).toContain('<Response');
    await api('POST', '/v1/events', { event: 'trial_started', userId: 'stopper', properties: { first_name: 'Ada', plan_type: 'pro' } });
    const sms = await message('stopper', 'nudge-sms');
    expect(sms).toMatchObject({ status: 'skipped' });
    expect(twilio.requests.some((r) => (r.body as Record<string, string>).To === phone)).toBe(false);

    await postTwilio('/webhooks/twilio/inbound', { From: phone, To: '+15005550006', Body: 'START', MessageSid: 'SMinbound2' });
    const profile = await api<{ user: { sms_opt_out?: boolean; smsOptOut?: boolean } }>('GET', '/v1/users/stopper');
    expect(profile.body.user.sms_opt_out ?? profile.body.user.smsOptOut).toBe(false);
  });

  it('opts out of the category by the one-click POST; a GET changes nothing', async () => {
    await user('leaver');
    await api('POST', '/v1/events', { event: 'trial_started', userId: 'leaver', properties: { first_name: 'Ada', plan_type: 'pro' } });
    const welcome = await message('leaver', 'welcome');
    const header = (sendgridRequestFor(sendgrid, welcome.id)!.body as { headers: Record<string, string> }).headers['List-Unsubscribe']!;
    const link = header.slice(1, -1).replace(runtime.deps.publicUrl, runtime.url);
    const preferences = async () => (await api<{ categories: Record<string, Record<string, boolean>> }>('GET', '/v1/users/leaver/preferences')).body;

    const page = await fetch(link);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<form method="post"');
    expect(JSON.stringify(await preferences())).not.toContain('opted-out');

    const forged = await fetch(link.replace(/\.[\w-]+$/, '.AAAA'), { method: 'POST', body: 'List-Unsubscribe=One-Click' });
    expect(forged.status).toBe(400);

    const oneClick = await fetch(link, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(oneClick.status).toBe(200);
    const after = (await preferences()) as unknown as { categories: Record<string, { channels: Record<string, { allowed: boolean; rule: string }> }> };
    expect(after.categories.onboarding!.channels.email).toEqual({ allowed: false, rule: 'opted-out' });
    expect((await message('leaver', 'welcome')).history.map((h) => h.status)).toContain('unsubscribed');
  });

  it('does not retry a permanent error, and routing falls back to the next channel', async () => {
    const phone = await user('bad-number');
    twilio.respondWith(twilioError(400, 21211, `The 'To' number ${phone} is not a valid phone number.`));
    await api('POST', '/v1/events', { event: 'security_code_requested', userId: 'bad-number', properties: { code: '482915', expires_in_minutes: 10 } });
    const sms = await message('bad-number', 'code', (m) => m.channel === 'sms' && m.status !== 'queued');
    expect(sms).toMatchObject({ status: 'failed', reason: 'permanent_error' });
    expect(sms.history.filter((h) => h.status === 'attempt_failed')).toHaveLength(1);
    expect(sms.history.find((h) => h.status === 'attempt_failed')!.code).toBe('21211');
    const email = await eventually('the code by email', async () =>
      (await messagesOf(api, 'bad-number')).find((m) => m.step === 'code' && m.channel === 'email' && m.status === 'sent'),
    );
    expect(email.provider).toBe('sendgrid');
  });

  it('takes Twilio’s 21610 (the recipient replied STOP) as an SMS opt-out', async () => {
    await user('replied-stop');
    twilio.respondWith(twilioError(400, 21610, 'Attempt to send to unsubscribed recipient'));
    await api('POST', '/v1/events', { event: 'security_code_requested', userId: 'replied-stop', properties: { code: '111111', expires_in_minutes: 10 } });
    const sms = await message('replied-stop', 'code', (m) => m.channel === 'sms' && m.status !== 'queued');
    expect(sms).toMatchObject({ status: 'failed', reason: 'permanent_error' });
    const profile = await api<{ user: { sms_opt_out?: boolean; smsOptOut?: boolean } }>('GET', '/v1/users/replied-stop');
    expect(profile.body.user.sms_opt_out ?? profile.body.user.smsOptOut).toBe(true);
  });

  it('drops a push token FCM reports unregistered from the profile', async () => {
    await user('pushy', { push_tokens: ['token-alive', 'token-dead'] });
    fcm.respondWith({ status: 200 }, fcmError(404, 'UNREGISTERED', 'Requested entity was not found.'));
    await api('POST', '/v1/events', { event: 'user_signed_up', userId: 'pushy', properties: { first_name: 'Ada', signup_source: 'ios' } });
    const push = await message('pushy', 'welcome-all', (m) => m.channel === 'push' && m.status !== 'queued');
    expect(push).toMatchObject({ status: 'sent', provider: 'fcm' });
    const profile = await eventually('the dead token to be dropped', async () => {
      const r = await api<{ user: { push_tokens: string[] } }>('GET', '/v1/users/pushy');
      return r.body.user.push_tokens.length === 1 ? r.body.user : null;
    });
    expect(profile.push_tokens).toEqual(['token-alive']);
  });

  it('retries a 5xx storm, fails over to the second account, and opens the breaker', async () => {
    sendgrid.setDefault({ status: 503 });
    const health = async () =>
      (await api<{ providers: { id: string; health: { state: string } }[] }>('GET', '/v1/providers')).body.providers.find((p) => p.id === 'sendgrid')!.health
        .state;
    try {
      // Each send tries SendGrid twice (503, 503) and then the second account; once failures outweigh the
      // earlier successes in the breaker's window, it opens and sends skip SendGrid altogether.
      let n = 0;
      while ((await health()) !== 'open') {
        expect(++n).toBeLessThan(30);
        const id = `storm-${n}`;
        await user(id);
        await api('POST', '/v1/events', { event: 'trial_started', userId: id, properties: { first_name: 'Ada', plan_type: 'pro' } });
        const welcome = await message(id, 'welcome');
        expect(welcome).toMatchObject({ status: 'sent', provider: 'sendgrid-eu' });
        expect(sendgridRequestFor(sendgridEu, welcome.id)!.headers.authorization).toBe(`Bearer ${SENDGRID_EU_KEY}`);
        if (n === 1) expect(welcome.history.filter((h) => h.status === 'attempt_failed' && h.provider === 'sendgrid').map((h) => h.attempt)).toEqual([1, 2]);
      }
      const asked = sendgrid.requests.length;
      await user('storm-after');
      await api('POST', '/v1/events', { event: 'trial_started', userId: 'storm-after', properties: { first_name: 'Ada', plan_type: 'pro' } });
      const skipped = await message('storm-after', 'welcome');
      expect(skipped).toMatchObject({ status: 'sent', provider: 'sendgrid-eu' });
      expect(skipped.history.some((h) => h.status === 'attempt_skipped' && h.provider === 'sendgrid')).toBe(true);
      expect(sendgrid.requests.length).toBe(asked);
      const metrics = await (await fetch(`${runtime.url}/metrics`, { headers: { authorization: `Bearer ${API_KEY}` } })).text();
      expect(metrics).toMatch(/herald_provider_circuit_state\{provider="sendgrid"\} 2/);
    } finally {
      sendgrid.setDefault(undefined);
    }
  });

  it('never puts a credential in the message log or the metrics', async () => {
    const everything = JSON.stringify(await Promise.all(['no-open', 'opens', 'bad-number', 'pushy', 'storm-1'].map((u) => messagesOf(api, u))));
    const metrics = await (await fetch(`${runtime.url}/metrics`, { headers: { authorization: `Bearer ${API_KEY}` } })).text();
    for (const secret of [SENDGRID_KEY, SENDGRID_EU_KEY, TWILIO_TOKEN]) {
      expect(everything).not.toContain(secret);
      expect(metrics).not.toContain(secret);
    }
  });
});
