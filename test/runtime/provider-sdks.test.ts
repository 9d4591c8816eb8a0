/**
 * The real provider adapters, each driving its provider's own SDK over loopback to a fake that speaks the
 * provider's wire format (test/fakes/providers.ts): what reaches the wire (ids for webhooks, headers, status
 * callbacks, credentials the fake checks) and how every kind of answer becomes a DeliveryResult — accepted,
 * rate limited with a pause hint, failing, timing out, or refused for good. No result may carry a credential.
 */
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Provider } from '../../compiler/bundle/schema.ts';
import { createFcmProvider, type FcmProvider } from '../../runtime/delivery/providers/fcm.ts';
import { retryAfterMs } from '../../runtime/delivery/providers/failure.ts';
import { createSendgridProvider } from '../../runtime/delivery/providers/sendgrid.ts';
import { createTwilioProvider } from '../../runtime/delivery/providers/twilio.ts';
import type { DeliveryResult, OutboundMessage, Recipient } from '../../runtime/delivery/providers/types.ts';
import {
  fcmError,
  sendgridError,
  startFakeFcm,
  startFakeSendgrid,
  startFakeTwilio,
  twilioError,
  writeTestServiceAccount,
  type FakeFcm,
  type FakeProvider,
  type TestServiceAccount,
} from '../fakes/providers.ts';

function outbound(provider: Provider, to: Recipient, content: Record<string, unknown>, extra: Partial<OutboundMessage> = {}): OutboundMessage {
  return {
    messageId: 'msg-0001',
    runId: 'run-0001',
    channel: provider.channel,
    provider,
    to,
    content: content as OutboundMessage['content'],
    ...extra,
  };
}

/** No secret may appear anywhere in a result (error line, response, code). */
function expectNoSecrets(result: DeliveryResult, secrets: string[]) {
  const text = JSON.stringify(result);
  for (const secret of secrets) expect(text).not.toContain(secret);
}

function failed(result: DeliveryResult) {
  if (result.ok) throw new Error(`expected a failure, got ${JSON.stringify(result)}`);
  return result;
}

function succeeded(result: DeliveryResult) {
  if (!result.ok) throw new Error(`expected success, got ${JSON.stringify(result)}`);
  return result;
}

/** A loopback port nothing listens on. */
async function closedPortUrl(): Promise<string> {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

describe('retry hints', () => {
  it('reads Retry-After as seconds or an HTTP-date, and rate-limit resets as epoch or delta', () => {
    const now = Date.parse('2030-01-01T00:00:00Z');
    expect(retryAfterMs({ 'Retry-After': '7' }, now)).toBe(7000);
    expect(retryAfterMs({ 'retry-after': 'Tue, 01 Jan 2030 00:00:30 GMT' }, now)).toBe(30_000);
    expect(retryAfterMs({ 'x-ratelimit-reset': String(now / 1000 + 12) }, now)).toBe(12_000);
    expect(retryAfterMs({ 'ratelimit-reset': '3' }, now)).toBe(3000);
    expect(retryAfterMs(new Headers({ 'retry-after': '2' }), now)).toBe(2000);
    expect(retryAfterMs({}, now)).toBeUndefined();
  });
});

// ---------------------------------------------------------------------------------------------------------

describe('SendGrid adapter (@sendgrid/mail)', () => {
  const apiKey = 'SG.herald-test-key.abcdefghijklmnopqrstuvwxyz0123456789';
  const provider: Provider = { id: 'sendgrid', channel: 'email', kind: 'sendgrid', credentials: {}, from: 'hello@example.com', options: {} };
  const email = { subject: 'Welcome, Ada', html: '<p>Hello Ada</p>', text: 'Hello Ada' };
  const to = { userId: 'u1', email: 'ada@example.com' };
  let fake: FakeProvider;
  const adapter = (overrides: { apiKey?: string; timeoutMs?: number; apiUrl?: string } = {}) =>
    createSendgridProvider({ apiKey: overrides.apiKey ?? apiKey, apiUrl: overrides.apiUrl ?? fake.url, timeoutMs: overrides.timeoutMs ?? 2000 });

  beforeAll(async () => {
    fake = await startFakeSendgrid({ apiKey });
  });
  afterAll(async () => {
    await fake?.close();
  });
  beforeEach(() => fake.reset());

  it('sends the mail with custom args and headers, and returns the X-Message-Id', async () => {
    const result = succeeded(
      await adapter().send(
        outbound(provider, to, email, { headers: { 'List-Unsubscribe': '<https://herald.test/u/1>', 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' } }),
      ),
    );
    expect(fake.requests).toHaveLength(1);
    const request = fake.requests[0]!;
    expect(request.path).toBe('/v3/mail/send');
    expect(request.headers.authorization).toBe(`Bearer ${apiKey}`);
    expect(result.providerMessageId).toBe(request.answer?.headers['x-message-id']);
    expect(request.body).toMatchObject({
      from: { email: 'hello@example.com' },
      subject: 'Welcome, Ada',
      personalizations: [{ to: [{ email: 'ada@example.com' }] }],
      custom_args: { herald_message_id: 'msg-0001', herald_run_id: 'run-0001' },
      headers: { 'List-Unsubscribe': '<https://herald.test/u/1>', 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
    });
    expect((request.body as { content: unknown[] }).content).toEqual([
      { type: 'text/plain', value: 'Hello Ada' },
      { type: 'text/html', value: '<p>Hello Ada</p>' },
    ]);
    expectNoSecrets(result, [apiKey]);
  });

  it('falls back to the configured sender when the provider declares none', async () => {
    const bare: Provider = { ...provider, from: undefined };
    const result = await createSendgridProvider({ apiKey, apiUrl: fake.url, from: 'Herald <noreply@example.com>' }).send(outbound(bare, to, email));
    succeeded(result);
    expect(fake.requests[0]!.body).toMatchObject({ from: { email: 'noreply@example.com', name: 'Herald' } });
  });

  it('is a permanent failure without an address, and nothing is sent', async () => {
    const result = failed(await adapter().send(outbound(provider, { userId: 'u1', email: null }, email)));
    expect(result).toMatchObject({ retryable: false, code: 'no_address' });
    expect(fake.requests).toHaveLength(0);
  });

  it('turns a 429 with Retry-After into a retryable failure with the hint', async () => {
    fake.respondWith({ ...sendgridError(429, 'too many requests'), headers: { 'retry-after': '7' } });
    const result = failed(await adapter().send(outbound(provider, to, email)));
    expect(result).toMatchObject({ retryable: true, code: '429', retryAfterMs: 7000 });
    expect(result.error).toContain('too many requests');
    expectNoSecrets(result, [apiKey]);
  });

  it("reads SendGrid's X-RateLimit-Reset when there is no Retry-After", async () => {
    const reset = Math.floor(Date.now() / 1000) + 30;
    fake.respondWith({ ...sendgridError(429, 'too many requests'), headers: { 'x-ratelimit-reset': String(reset) } });
    const result = failed(await adapter().send(outbound(provider, to, email)));
    expect(result.retryable).toBe(true);
    expect(result.retryAfterMs).toBeGreaterThan(25_000);
    expect(result.retryAfterMs).toBeLessThanOrEqual(30_000);
  });

  it('retries on a 500', async () => {
    fake.respondWith({ status: 500 });
    expect(failed(await adapter().send(outbound(provider, to, email)))).toMatchObject({ retryable: true, code: '500' });
  });

  it('times out (retryable) when SendGrid does not answer in time', async () => {
    fake.respondWith({ status: 202, delayMs: 2000 });
    const started = Date.now();
    const result = failed(await adapter({ timeoutMs: 300 }).send(outbound(provider, to, email)));
    expect(result).toMatchObject({ retryable: true, code: 'timeout' });
    expect(Date.now() - started).toBeLessThan(1500);
    expectNoSecrets(result, [apiKey]);
  });

  it('does not follow a redirect: the mail goes only where it was configured to go', async () => {
    fake.respondWith({ status: 307, headers: { location: `${fake.url}/v3/mail/send?redirected` } });
    failed(await adapter().send(outbound(provider, to, email)));
    expect(fake.requests).toHaveLength(1);
  });

  it('is retryable when SendGrid cannot be reached', async () => {
    const result = failed(await adapter({ apiUrl: await closedPortUrl() }).send(outbound(provider, to, email)));
    expect(result).toMatchObject({ retryable: true, code: 'ECONNREFUSED' });
    expectNoSecrets(result, [apiKey]);
  });

  it("is a permanent failure on a 400, with SendGrid's message and field", async () => {
    fake.respondWith(sendgridError(400, 'The from address does not match a verified Sender Identity.', 'from'));
    const result = failed(await adapter().send(outbound(provider, to, email)));
    expect(result).toMatchObject({ retryable: false, code: '400' });
    expect(result.retryAfterMs).toBeUndefined();
    expect(result.error).toContain('verified Sender Identity');
    expect(result.error).toContain('[from]');
    expect(result.error).not.toContain('\n');
    expect(result.response).toMatchObject({ status: 400, body: { errors: [{ field: 'from' }] } });
  });

  it('is permanent when the fake refuses the API key, and the key never shows', async () => {
    const wrong = 'SG.wrong-key-value.0123456789abcdefghijklmnop';
    const result = failed(await adapter({ apiKey: wrong }).send(outbound(provider, to, email)));
    expect(result).toMatchObject({ retryable: false, code: '401' });
    expect(fake.requests[0]!.headers.authorization).toBe(`Bearer ${wrong}`);
    expectNoSecrets(result, [wrong, apiKey]);
  });
});

// ---------------------------------------------------------------------------------------------------------

describe('Twilio adapter (twilio)', () => {
  const accountSid = `AC${'0123456789abcdef'.repeat(2)}`;
  const authToken = 'f3c1b2a4d5e6f7a8b9c0d1e2f3a4b5c6';
  const provider: Provider = { id: 'twilio', channel: 'sms', kind: 'twilio', credentials: {}, from: '+15005550006', options: {} };
  const sms = { body: 'Your code is 123456' };
  const to = { userId: 'u1', phone_number: '+15558675310' };
  const statusCallbackUrl = 'https://herald.example.com/webhooks/twilio/status?message=msg-0001';
  const secrets = [authToken, Buffer.from(`${accountSid}:${authToken}`).toString('base64')];
  let fake: FakeProvider;
  const adapter = (overrides: { authToken?: string; timeoutMs?: number; messagingServiceSid?: string; apiUrl?: string } = {}) =>
    createTwilioProvider({
      accountSid,
      authToken: overrides.authToken ?? authToken,
      apiUrl: overrides.apiUrl ?? fake.url,
      timeoutMs: overrides.timeoutMs ?? 2000,
      ...(overrides.messagingServiceSid ? { messagingServiceSid: overrides.messagingServiceSid } : {}),
    });

  beforeAll(async () => {
    fake = await startFakeTwilio({ accountSid, authToken });
  });
  afterAll(async () => {
    await fake?.close();
  });
  beforeEach(() => fake.reset());

  it('creates the message with its status callback, and returns the SID', async () => {
    const result = succeeded(await adapter().send(outbound(provider, to, sms, { statusCallbackUrl })));
    expect(fake.requests).toHaveLength(1);
    const request = fake.requests[0]!;
    expect(request.path).toBe(`/2010-04-01/Accounts/${accountSid}/Messages.json`);
    expect(request.headers['content-type']).toContain('application/x-www-form-urlencoded');
    expect(request.headers.authorization).toBe(`Basic ${secrets[1]}`);
    expect(request.body).toEqual({ To: '+15558675310', From: '+15005550006', Body: 'Your code is 123456', StatusCallback: statusCallbackUrl });
    expect(result.providerMessageId).toMatch(/^SM[0-9a-f]{32}$/);
    expect(result.providerMessageId).toBe((request.answer!.body as { sid: string }).sid);
    expect(result.response).toMatchObject({ sid: result.providerMessageId, status: 'queued' });
    expectNoSecrets(result, secrets);
  });

  it('sends through a messaging service instead of a number when configured', async () => {
    succeeded(await adapter({ messagingServiceSid: 'MG0123456789abcdef0123456789abcdef' }).send(outbound(provider, to, sms)));
    expect(fake.requests[0]!.body).toEqual({ To: '+15558675310', MessagingServiceSid: 'MG0123456789abcdef0123456789abcdef', Body: 'Your code is 123456' });
  });

  it('is a permanent failure without a phone number', async () => {
    expect(failed(await adapter().send(outbound(provider, { userId: 'u1' }, sms)))).toMatchObject({ retryable: false, code: 'no_address' });
    expect(fake.requests).toHaveLength(0);
  });

  it('is permanent for an unsubscribed recipient (21610)', async () => {
    fake.respondWith(twilioError(400, 21610, 'Attempt to send to unsubscribed recipient'));
    const result = failed(await adapter().send(outbound(provider, to, sms)));
    expect(result).toMatchObject({ retryable: false, code: '21610' });
    expect(result.error).toContain('unsubscribed recipient');
    expect(result.response).toMatchObject({ status: 400, body: { code: 21610 } });
    expectNoSecrets(result, secrets);
  });

  it('is permanent for an invalid number (21211), as Twilio answers it', async () => {
    const result = failed(await adapter().send(outbound(provider, { userId: 'u1', phone_number: '12345' }, sms)));
    expect(result).toMatchObject({ retryable: false, code: '21211' });
  });

  it('turns 429 / 20429 with Retry-After into a retryable failure with the hint', async () => {
    fake.respondWith(twilioError(429, 20429, 'Too Many Requests', { 'retry-after': '3' }));
    const result = failed(await adapter().send(outbound(provider, to, sms)));
    expect(result).toMatchObject({ retryable: true, code: '20429', retryAfterMs: 3000 });
    expectNoSecrets(result, secrets);
  });

  it('retries on a 500 and a 503', async () => {
    fake.respondWith({ status: 500 }, { status: 503 });
    expect(failed(await adapter().send(outbound(provider, to, sms)))).toMatchObject({ retryable: true });
    expect(failed(await adapter().send(outbound(provider, to, sms)))).toMatchObject({ retryable: true });
  });

  it('times out (retryable) when Twilio does not answer in time', async () => {
    fake.respondWith({ status: 201, delayMs: 2000 });
    const started = Date.now();
    const result = failed(await adapter({ timeoutMs: 300 }).send(outbound(provider, to, sms)));
    expect(result).toMatchObject({ retryable: true, code: 'timeout' });
    expect(Date.now() - started).toBeLessThan(1500);
    expectNoSecrets(result, secrets);
  });

  it('is retryable when Twilio cannot be reached', async () => {
    const result = failed(await adapter({ apiUrl: await closedPortUrl() }).send(outbound(provider, to, sms)));
    expect(result).toMatchObject({ retryable: true, code: 'ECONNREFUSED' });
    expectNoSecrets(result, secrets);
  });

  it('is permanent when the fake refuses the auth token, and the token never shows', async () => {
    const wrong = '00000000000000000000000000000bad';
    const result = failed(await adapter({ authToken: wrong }).send(outbound(provider, to, sms)));
    expect(result).toMatchObject({ retryable: false, code: '20003' });
    expectNoSecrets(result, [...secrets, wrong, Buffer.from(`${accountSid}:${wrong}`).toString('base64')]);
  });
});

// ---------------------------------------------------------------------------------------------------------

describe('FCM adapter (firebase-admin)', () => {
  const provider: Provider = { id: 'fcm', channel: 'push', kind: 'fcm', credentials: {}, options: {} };
  const push = { title: 'New comment', body: 'Ada replied to you', data: { thread: 't-42' } };
  let fake: FakeFcm;
  let account: TestServiceAccount;
  let adapter: FcmProvider;
  const adapters: FcmProvider[] = [];
  const make = (overrides: { timeoutMs?: number; serviceAccount?: string } = {}) => {
    const created = createFcmProvider({ serviceAccount: overrides.serviceAccount ?? account.path, apiUrl: fake.url, timeoutMs: overrides.timeoutMs ?? 2000 });
    adapters.push(created);
    return created;
  };
  const secrets = () => [account.privateKey, account.privateKey.split('\n')[1]!, ...fake.issuedTokens];
  const sends = () => fake.requests.filter((r) => r.path.endsWith('/messages:send'));

  beforeAll(async () => {
    fake = await startFakeFcm({ projectId: 'herald-test' });
    account = writeTestServiceAccount(fake);
    adapter = make();
  });
  afterAll(async () => {
    for (const a of adapters) await a.close();
    await fake?.close();
    if (account) rmSync(dirname(account.path), { recursive: true, force: true });
  });
  beforeEach(() => fake.reset());

  it("sends one message per token with the notification and Herald's id, authorised by a service-account token", async () => {
    const result = succeeded(await adapter.send(outbound(provider, { userId: 'u1', push_tokens: ['token-a', 'token-b'] }, push)));
    const sent = sends();
    expect(sent).toHaveLength(2);
    for (const request of sent) {
      expect(request.path).toBe('/v1/projects/herald-test/messages:send');
      expect(fake.issuedTokens).toContain(String(request.headers.authorization).replace(/^Bearer /, ''));
      expect((request.body as { message: unknown }).message).toMatchObject({
        notification: { title: 'New comment', body: 'Ada replied to you' },
        data: { thread: 't-42', herald_message_id: 'msg-0001' },
      });
    }
    expect(sent.map((r) => (r.body as { message: { token: string } }).message.token).sort()).toEqual(['token-a', 'token-b']);
    const names = sent.map((r) => (r.answer!.body as { name: string }).name);
    expect(names).toContain(result.providerMessageId);
    expect(result.providerMessageId).toMatch(/^projects\/herald-test\/messages\//);
    expect(result.invalidTokens).toBeUndefined();
    expectNoSecrets(result, secrets());
  });

  it('fetched its OAuth token with a JWT signed by the service account (checked by the fake)', async () => {
    // the token from the first test is cached by the SDK; a fresh adapter fetches its own
    const fresh = make();
    succeeded(await fresh.send(outbound(provider, { userId: 'u1', push_tokens: ['token-a'] }, push)));
    const tokenRequests = fake.requests.filter((r) => r.path === '/token');
    expect(tokenRequests).toHaveLength(1);
    expect(tokenRequests[0]!.body).toMatchObject({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer' });
    expect(tokenRequests[0]!.answer?.status).toBe(200);
  });

  it('accepts the service account as inline JSON', async () => {
    succeeded(await make({ serviceAccount: account.json }).send(outbound(provider, { userId: 'u1', push_tokens: ['token-a'] }, push)));
  });

  it("routes the token request through apiUrl too when the account keeps Google's token_uri", async () => {
    const googleAccount = JSON.stringify({ ...JSON.parse(account.json), token_uri: 'https://oauth2.googleapis.com/token' });
    succeeded(await make({ serviceAccount: googleAccount }).send(outbound(provider, { userId: 'u1', push_tokens: ['token-a'] }, push)));
    expect(fake.requests.filter((r) => r.path === '/token').map((r) => r.answer?.status)).toEqual([200]);
  });

  it('succeeds when one token is accepted, reporting the dead one', async () => {
    fake.rejectToken('dead-token', 'UNREGISTERED');
    const result = succeeded(await adapter.send(outbound(provider, { userId: 'u1', push_tokens: ['dead-token', 'live-token'] }, push)));
    expect(result.invalidTokens).toEqual(['dead-token']);
    expect(result.providerMessageId).toMatch(/^projects\/herald-test\/messages\//);
  });

  it('is a permanent failure when every token is dead (UNREGISTERED / invalid), with all of them', async () => {
    fake.rejectToken('dead-token', 'UNREGISTERED');
    fake.rejectToken('garbage-token', 'INVALID_ARGUMENT');
    const result = failed(await adapter.send(outbound(provider, { userId: 'u1', push_tokens: ['dead-token', 'garbage-token'] }, push)));
    expect(result.retryable).toBe(false);
    expect(result.code).toMatch(/^messaging\//);
    expect(result.invalidTokens?.sort()).toEqual(['dead-token', 'garbage-token']);
    expectNoSecrets(result, secrets());
  });

  it('is a permanent failure without tokens', async () => {
    expect(failed(await adapter.send(outbound(provider, { userId: 'u1', push_tokens: [] }, push)))).toMatchObject({ retryable: false, code: 'no_address' });
    expect(sends()).toHaveLength(0);
  });

  it('does not drop the token over a bad payload (400 INVALID_ARGUMENT about something else)', async () => {
    fake.respondWith(fcmError(400, 'INVALID_ARGUMENT', "Invalid value at 'message.data[0].value'"));
    const result = failed(await adapter.send(outbound(provider, { userId: 'u1', push_tokens: ['token-a'] }, push)));
    expect(result).toMatchObject({ retryable: false, code: 'messaging/invalid-argument' });
    expect(result.invalidTokens).toBeUndefined();
  });

  it('turns a 429 with Retry-After into a retryable failure with the hint', async () => {
    fake.respondWith(fcmError(429, 'QUOTA_EXCEEDED', 'Quota exceeded', { 'retry-after': '5' }));
    const result = failed(await adapter.send(outbound(provider, { userId: 'u1', push_tokens: ['token-a'] }, push)));
    expect(result).toMatchObject({ retryable: true, code: 'messaging/message-rate-exceeded', retryAfterMs: 5000 });
    expectNoSecrets(result, secrets());
  });

  it('retries on a 500', async () => {
    fake.respondWith(fcmError(500, 'INTERNAL'));
    expect(failed(await adapter.send(outbound(provider, { userId: 'u1', push_tokens: ['token-a'] }, push)))).toMatchObject({
      retryable: true,
      code: 'messaging/internal-error',
    });
  });

  it("times out (retryable) within its own deadline, not the SDK's 15 s and retries", async () => {
    const quick = make({ timeoutMs: 300 });
    succeeded(await quick.send(outbound(provider, { userId: 'u1', push_tokens: ['token-a'] }, push))); // token fetched
    fake.respondWith({ status: 200, delayMs: 3000 });
    const started = Date.now();
    const result = failed(await quick.send(outbound(provider, { userId: 'u1', push_tokens: ['token-a'] }, push)));
    expect(result).toMatchObject({ retryable: true, code: 'timeout' });
    expect(Date.now() - started).toBeLessThan(1500);
    expectNoSecrets(result, secrets());
  });

  it('is retryable when FCM cannot be reached', async () => {
    const unreachable = createFcmProvider({ serviceAccount: account.path, apiUrl: await closedPortUrl(), timeoutMs: 500 });
    adapters.push(unreachable);
    const result = failed(await unreachable.send(outbound(provider, { userId: 'u1', push_tokens: ['token-a'] }, push)));
    expect(result.retryable).toBe(true);
    expectNoSecrets(result, secrets());
  });
});
