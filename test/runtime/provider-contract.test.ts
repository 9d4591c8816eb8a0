/**
 * The contract every delivery adapter passes, one suite run over each (the table below): the sandbox, in-app
 * (on the real inbox table, through the port the delivery code builds on the job's transaction), and the
 * real SDK adapters — SendGrid, Twilio, FCM — over loopback to the fakes that speak their wire formats
 * (test/fakes/providers.ts). A reachable recipient gets `ok` with a provider message id; a busy vendor is a
 * retryable failure carrying its Retry-After, a failing one retryable without an invented hint; a refusal is
 * permanent; an opt-out the vendor reports comes back as `optOut`; no result carries a credential. Where an
 * expectation has nothing to hold against (the sandbox never fails; only Twilio reports opt-outs), the
 * table says so and the test is skipped for that adapter. What each vendor's wire looks like, timeouts and
 * dead push tokens stay in provider-sdks.test.ts.
 */
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Channel, Provider } from '../../compiler/bundle/schema.ts';
import { upgradeSchema } from '../../runtime/db/schema.ts';
import { openDatabase, type Database } from '../../runtime/db/pool.ts';
import { inboxOn } from '../../runtime/inbox/store.ts';
import { createFcmProvider, type FcmProvider } from '../../runtime/delivery/providers/fcm.ts';
import { inappProvider } from '../../runtime/delivery/providers/inapp.ts';
import { createSandboxProvider } from '../../runtime/delivery/providers/sandbox.ts';
import { createSendgridProvider } from '../../runtime/delivery/providers/sendgrid.ts';
import { createTwilioProvider } from '../../runtime/delivery/providers/twilio.ts';
import { createWebhookProvider } from '../../runtime/delivery/providers/webhook.ts';
import type { DeliveryProvider, DeliveryResult, Recipient } from '../../runtime/delivery/providers/types.ts';
import type { RenderedContent } from '../../runtime/render/index.ts';
import {
  fcmError,
  sendgridError,
  startFakeFcm,
  startFakeSendgrid,
  startFakeTwilio,
  startFakeWebhookReceiver,
  twilioError,
  writeTestServiceAccount,
  type FakeFcm,
  type FakeProvider,
  type TestServiceAccount,
} from '../fakes/providers.ts';
import { freshDatabase } from '../setup/database.ts';
import { newTimeOrderedId } from '../../runtime/db/time-ordered-id.ts';

// ---------------------------------------------------------------------------------------------------------
// The vendors' fakes and the credentials the adapters hold

const SENDGRID_KEY = 'SG.herald-contract-key.abcdefghijklmnopqrstuvwxyz0123456789';
const TWILIO_SID = `AC${'fedcba9876543210'.repeat(2)}`;
const TWILIO_TOKEN = '9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d';
const HOOK_SECRET = `whsec_${Buffer.from('herald-contract-webhook-secret-32b').toString('base64')}`;
const basic = (sid: string, token: string) => Buffer.from(`${sid}:${token}`).toString('base64');

let db: Database;
let sendgrid: FakeProvider;
let twilio: FakeProvider;
let fcm: FakeFcm;
let hook: FakeProvider;
let account: TestServiceAccount;
/** SDK adapters are built once, as the registry does (they hold connection pools and OAuth tokens). */
const built = new Map<string, DeliveryProvider>();
const fcmApps: FcmProvider[] = [];

function once(name: string, make: () => DeliveryProvider): DeliveryProvider {
  let adapter = built.get(name);
  if (!adapter) built.set(name, (adapter = make()));
  return adapter;
}

function fcmAdapter(serviceAccount: string): FcmProvider {
  const adapter = createFcmProvider({ serviceAccount, apiUrl: fcm.url, timeoutMs: 2000 });
  fcmApps.push(adapter);
  return adapter;
}

beforeAll(async () => {
  db = openDatabase(await freshDatabase('provider_contract'));
  await upgradeSchema(db);
  sendgrid = await startFakeSendgrid({ apiKey: SENDGRID_KEY });
  twilio = await startFakeTwilio({ accountSid: TWILIO_SID, authToken: TWILIO_TOKEN });
  fcm = await startFakeFcm({ projectId: 'herald-contract' });
  hook = await startFakeWebhookReceiver({ secret: HOOK_SECRET });
  account = writeTestServiceAccount(fcm);
});
afterAll(async () => {
  for (const adapter of fcmApps) await adapter.close();
  await Promise.all([sendgrid?.close(), twilio?.close(), fcm?.close(), hook?.close()]);
  if (account) rmSync(dirname(account.path), { recursive: true, force: true });
  await db?.close();
});
beforeEach(() => {
  sendgrid.reset();
  twilio.reset();
  fcm.reset();
  hook.reset();
});

// ---------------------------------------------------------------------------------------------------------
// The table

interface AdapterCase {
  name: string;
  /** The channels it serves; failures are tried on the first. */
  channels: Channel[];
  provider(channel: Channel): Provider;
  adapter(): DeliveryProvider;
  /** What no result may show: the credentials the adapter holds (and tokens it was issued). */
  secrets(): string[];
  /** The adapter built with credentials its vendor refuses, and those credentials. */
  refusedCredentials: (() => { adapter: DeliveryProvider; secrets: string[] }) | null;
  /** The vendor's next answer: "too many requests, come back in `seconds`". */
  busy: ((seconds: number) => void) | null;
  /** The vendor's next answer: a server error, without a hint. */
  failing: (() => void) | null;
  /** A send refused for good: the vendor's next answer, or a recipient it cannot take. */
  refusal: { arrange?: () => void; to?: Partial<Recipient> } | null;
  /** The vendor's next answer: "the recipient opted out" of the channel given. */
  optOut: { arrange: () => void; channel: Channel } | null;
}

const plain = (kind: Provider['kind'], channel: Channel, from?: string): Provider => ({
  id: `${kind}-${channel}`,
  channel,
  kind,
  credentials: {},
  ...(from ? { from } : {}),
  options: {},
});

const adapters: AdapterCase[] = [
  {
    name: 'sandbox',
    channels: ['email', 'sms', 'push'],
    provider: (channel) => plain('sandbox', channel),
    adapter: () => createSandboxProvider(),
    secrets: () => [],
    refusedCredentials: null,
    busy: null,
    failing: null,
    refusal: null,
    optOut: null,
  },
  {
    name: 'inapp',
    channels: ['inapp'],
    provider: (channel) => plain('inapp', channel),
    adapter: () => inappProvider,
    secrets: () => [],
    refusedCredentials: null,
    busy: null,
    failing: null,
    refusal: { to: { userId: null } },
    optOut: null,
  },
  {
    name: 'sendgrid',
    channels: ['email'],
    provider: (channel) => plain('sendgrid', channel, 'hello@example.com'),
    adapter: () => once('sendgrid', () => createSendgridProvider({ apiKey: SENDGRID_KEY, apiUrl: sendgrid.url, timeoutMs: 2000 })),
    secrets: () => [SENDGRID_KEY],
    refusedCredentials: () => {
      const wrong = 'SG.refused-contract-key.0123456789abcdefghijklmnop';
      return { adapter: createSendgridProvider({ apiKey: wrong, apiUrl: sendgrid.url, timeoutMs: 2000 }), secrets: [wrong] };
    },
    busy: (seconds) => sendgrid.respondWith({ ...sendgridError(429, 'too many requests'), headers: { 'retry-after': String(seconds) } }),
    failing: () => sendgrid.respondWith({ status: 500 }),
    refusal: { arrange: () => sendgrid.respondWith(sendgridError(400, 'The from address does not match a verified Sender Identity.', 'from')) },
    optOut: null,
  },
  {
    name: 'twilio',
    channels: ['sms'],
    provider: (channel) => plain('twilio', channel, '+15005550006'),
    adapter: () => once('twilio', () => createTwilioProvider({ accountSid: TWILIO_SID, authToken: TWILIO_TOKEN, apiUrl: twilio.url, timeoutMs: 2000 })),
    secrets: () => [TWILIO_TOKEN, basic(TWILIO_SID, TWILIO_TOKEN)],
    refusedCredentials: () => {
      const wrong = '00000000000000000000000000c0ffee';
      return {
        adapter: createTwilioProvider({ accountSid: TWILIO_SID, authToken: wrong, apiUrl: twilio.url, timeoutMs: 2000 }),
        secrets: [wrong, basic(TWILIO_SID, wrong)],
      };
    },
    busy: (seconds) => twilio.respondWith(twilioError(429, 20429, 'Too Many Requests', { 'retry-after': String(seconds) })),
    failing: () => twilio.respondWith({ status: 500 }),
    // Twilio itself refuses a number that is not E.164 (21211)
    refusal: { to: { phone_number: '12345' } },
    optOut: { arrange: () => twilio.respondWith(twilioError(400, 21610, 'Attempt to send to unsubscribed recipient')), channel: 'sms' },
  },
  {
    name: 'fcm',
    channels: ['push'],
    provider: (channel) => plain('fcm', channel),
    adapter: () => once('fcm', () => fcmAdapter(account.path)),
    secrets: () => [account.privateKey, account.privateKey.split('\n')[1]!, ...fcm.issuedTokens],
    refusedCredentials: () => {
      // the same service account with a key the fake (Google) never issued: the token exchange is refused
      const { privateKey } = generateKeyPairSync('rsa', {
        modulusLength: 2048,
        publicKeyEncoding: { type: 'spki', format: 'pem' },
        privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      });
      const untrusted = JSON.stringify({ ...JSON.parse(account.json), private_key: privateKey });
      return { adapter: fcmAdapter(untrusted), secrets: [privateKey, privateKey.split('\n')[1]!] };
    },
    busy: (seconds) => fcm.respondWith(fcmError(429, 'QUOTA_EXCEEDED', 'Quota exceeded', { 'retry-after': String(seconds) })),
    failing: () => fcm.respondWith(fcmError(500, 'INTERNAL')),
    refusal: { arrange: () => fcm.respondWith(fcmError(400, 'INVALID_ARGUMENT', "Invalid value at 'message.data[0].value'")) },
    optOut: null,
  },
  {
    name: 'webhook',
    channels: ['webhook'],
    provider: (channel) => ({ ...plain('webhook', channel), credentials: { url: { env: 'CRM_HOOK_URL' }, secret: { env: 'CRM_HOOK_SECRET' } } }),
    adapter: () => once('webhook', () => createWebhookProvider({ url: `${hook.url}/crm`, secret: HOOK_SECRET, timeoutMs: 2000 })),
    secrets: () => [HOOK_SECRET, HOOK_SECRET.slice('whsec_'.length)],
    // A receiver has no harmless authenticated call to ask (`herald doctor`); a wrong secret is a 401 like any refusal.
    refusedCredentials: null,
    busy: (seconds) => hook.respondWith({ status: 429, headers: { 'retry-after': String(seconds) } }),
    failing: () => hook.respondWith({ status: 503 }),
    refusal: { arrange: () => hook.respondWith({ status: 422, body: { error: 'unknown customer' } }) },
    optOut: null,
  },
];

// ---------------------------------------------------------------------------------------------------------
// Sending

const CONTENT: Record<Channel, RenderedContent> = {
  email: { subject: 'Welcome, Ada', text: 'Hi Ada', html: '<p>Hi Ada</p>' },
  sms: { body: 'Hi Ada' },
  push: { title: 'Welcome', body: 'Hi Ada' },
  inapp: { title: 'Welcome', body: 'Hi Ada', actionUrl: '/start' },
  webhook: { body: { event: 'welcome', user: { id: 'ada', name: 'Ada' } } },
};
const REACHABLE: Recipient = { userId: 'ada', email: 'ada@example.com', phone_number: '+15555550100', push_tokens: ['token-1'] };

interface SendOptions {
  channel?: Channel;
  to?: Partial<Recipient>;
  /** Another adapter of the same kind, and what it must not show. */
  with?: { adapter: DeliveryProvider; secrets: string[] };
}

/**
 * One send, as the driver makes it: inside a transaction, with the inbox port on it. Every result of this
 * suite passes through here, and is held to the rule that holds for all of them: no credential in it.
 */
async function send(c: AdapterCase, options: SendOptions = {}): Promise<DeliveryResult> {
  const channel = options.channel ?? c.channels[0]!;
  const adapter = options.with?.adapter ?? c.adapter();
  const result = await db.transaction((tx) =>
    adapter.send({
      messageId: newTimeOrderedId(),
      runId: randomUUID(),
      channel,
      provider: c.provider(channel),
      to: { ...REACHABLE, ...options.to },
      content: CONTENT[channel],
      statusCallbackUrl: 'https://herald.example.com/webhooks/twilio/status?message=contract',
      inbox: inboxOn(tx),
    }),
  );
  const text = JSON.stringify(result);
  for (const secret of [...c.secrets(), ...(options.with?.secrets ?? [])]) expect(text).not.toContain(secret);
  return result;
}

function failed(result: DeliveryResult) {
  if (result.ok) throw new Error(`expected a failure, got ${JSON.stringify(result)}`);
  return result;
}

// ---------------------------------------------------------------------------------------------------------
// The contract

describe.each(adapters)('$name adapter', (c) => {
  it.each(c.channels)('accepts a %s message for a reachable recipient, with a response the log can keep', async (channel) => {
    const result = await send(c, { channel });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.providerMessageId).toMatch(/\S/);
    expect(JSON.parse(JSON.stringify(result.response))).toEqual(result.response);
  });

  it('answers an unreachable recipient with a result, not an exception', async () => {
    const result = await send(c, { to: { userId: null, email: null, phone_number: null, push_tokens: [] } });
    expect(typeof result.ok).toBe('boolean');
    if (!result.ok) expect(result.error).toMatch(/\S/);
  });

  it.skipIf(!c.busy)("is a retryable failure when the vendor is busy, with the vendor's Retry-After", async () => {
    c.busy!(7);
    const result = failed(await send(c));
    expect(result).toMatchObject({ retryable: true, retryAfterMs: 7000 });
    expect(result.optOut).toBeUndefined();
  });

  it.skipIf(!c.failing)('is a retryable failure when the vendor fails, with no hint it did not give', async () => {
    c.failing!();
    const result = failed(await send(c));
    expect(result.retryable).toBe(true);
    expect(result.retryAfterMs).toBeUndefined();
  });

  it.skipIf(!c.refusal)('is a permanent failure, of the message and not of the provider, when the send is refused', async () => {
    c.refusal!.arrange?.();
    const result = failed(await send(c, { ...(c.refusal!.to ? { to: c.refusal!.to } : {}) }));
    expect(result.retryable).toBe(false);
    expect(result.providerFault).toBeUndefined();
    expect(result.error).toMatch(/\S/);
    expect(result.optOut).toBeUndefined();
  });

  it.skipIf(!c.refusedCredentials)('fails without showing the credentials the vendor refused', async () => {
    const result = failed(await send(c, { with: c.refusedCredentials!() }));
    expect(result.retryable).toBe(false);
    expect(result.error).toMatch(/\S/);
  });

  // `herald doctor` asks every adapter with credentials whether its vendor accepts them, sending nothing.
  it.skipIf(!c.refusedCredentials)('says whether the vendor accepts its credentials, sending nothing and showing no secret', async () => {
    const adapter = c.adapter();
    expect(adapter.verify).toBeTypeOf('function');
    expect(await adapter.verify!()).toMatchObject({ ok: true, detail: expect.stringMatching(/\S/) });
    const refused = c.refusedCredentials!();
    const answer = await refused.adapter.verify!();
    expect(answer).toMatchObject({ ok: false, why: expect.stringMatching(/\S/) });
    const text = JSON.stringify(answer);
    for (const secret of [...c.secrets(), ...refused.secrets]) expect(text).not.toContain(secret);
    for (const fake of [sendgrid, twilio, fcm]) expect(fake.requests.filter((r) => r.method === 'POST' && !r.path.includes('token'))).toEqual([]);
  });

  it.skipIf(!c.optOut)("reports the recipient's opt-out, with the channel they left, as a permanent failure", async () => {
    c.optOut!.arrange();
    const result = failed(await send(c));
    expect(result).toMatchObject({ retryable: false, optOut: { channel: c.optOut!.channel } });
  });
});

// ---------------------------------------------------------------------------------------------------------
// The webhook adapter, beyond the contract: what Standard Webhooks and the outbound guard add

describe('webhook adapter (Standard Webhooks, outbound guard)', () => {
  const c = adapters.find((a) => a.name === 'webhook')!;
  const body = { event: 'welcome', user: { id: 'ada', name: 'Ada' } };
  const message = (messageId: string) => ({
    messageId,
    runId: randomUUID(),
    channel: 'webhook' as const,
    provider: c.provider('webhook'),
    to: REACHABLE,
    content: { body },
  });

  it('POSTs the JSON body signed so that the standardwebhooks verifier accepts it, with the same webhook-id on a retry', async () => {
    const id = newTimeOrderedId();
    hook.respondWith({ status: 500 });
    expect(failed(await c.adapter().send(message(id))).retryable).toBe(true);
    expect(await c.adapter().send(message(id))).toMatchObject({ ok: true, providerMessageId: id, response: { status: 200, body: { received: true } } });
    // the receiver verified both (an unverified request is answered 401 before the script is read)
    expect(hook.requests.map((r) => [r.answer?.status, r.headers['webhook-id'], r.body])).toEqual([
      [500, id, body],
      [200, id, body],
    ]);
  });

  it('keeps a cut of a long answer in the log (never the whole JSON), and refuses to read more than 64 KiB', async () => {
    hook.respondWith({ status: 200, body: { received: true, pad: 'x'.repeat(10_000) } }, { status: 200, body: { pad: 'y'.repeat(70 * 1024) } });
    const sent = await c.adapter().send(message(newTimeOrderedId()));
    expect(sent).toMatchObject({ ok: true, response: { status: 200, body: expect.stringMatching(/^\{"received":true,"pad":"x+…$/) } });
    expect(JSON.stringify(sent).length).toBeLessThan(2_500);
    expect(failed(await c.adapter().send(message(newTimeOrderedId())))).toMatchObject({ retryable: false, providerFault: true, code: 'answer_too_large' });
  });

  it('is a retryable timeout when the receiver does not answer in time, and retries 408 as 5xx', async () => {
    hook.respondWith({ status: 200, delayMs: 1500 }, { status: 408 });
    const slow = createWebhookProvider({ url: `${hook.url}/crm`, secret: HOOK_SECRET, timeoutMs: 200 });
    expect(failed(await slow.send(message(newTimeOrderedId())))).toMatchObject({ retryable: true, code: 'timeout' });
    expect(failed(await c.adapter().send(message(newTimeOrderedId())))).toMatchObject({ retryable: true, code: '408' });
  });

  it('refuses for good, as a fault of its setup, a URL into the cloud metadata service or a redirect', async () => {
    const metadata = createWebhookProvider({ url: 'https://169.254.169.254/latest/meta-data/', secret: HOOK_SECRET });
    const refused = failed(await metadata.send(message(newTimeOrderedId())));
    expect(refused).toMatchObject({ retryable: false, providerFault: true, code: 'outbound_refused' });
    expect(refused.error).toMatch(/link-local.*HERALD_OUTBOUND_ALLOW/);
    // `herald doctor` says so before any send, and sends nothing
    expect(await metadata.verify!()).toMatchObject({ ok: false, why: expect.stringMatching(/link-local/) });
    expect(await c.adapter().verify!()).toMatchObject({ ok: true });
    hook.respondWith({ status: 302, headers: { location: 'http://10.0.0.1/' } });
    expect(failed(await c.adapter().send(message(newTimeOrderedId())))).toMatchObject({ retryable: false, providerFault: true, code: '302' });
  });
});
