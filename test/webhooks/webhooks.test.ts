/**
 * Webhook verification and parsing, without HTTP or a database: requests are signed the way the providers
 * sign them (test/fakes/sign.ts), plus SendGrid's own published test vector so the two cannot agree on a
 * scheme that SendGrid does not use.
 */
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseSendgridEvents, verifySendgridSignature } from '../../runtime/webhooks/sendgrid.ts';
import { parseInboundKeyword, parseTwilioStatus, twiml, verifyTwilioSignature } from '../../runtime/webhooks/twilio.ts';
import { sendgridKeyPair, signSendgrid, signTwilio } from '../fakes/sign.ts';

const NOW = Date.UTC(2025, 0, 15, 12, 0, 0);
const nowSeconds = (offsetMs = 0): string => String(Math.floor((NOW + offsetMs) / 1000));

describe('SendGrid signature', () => {
  const keys = sendgridKeyPair();
  const body = JSON.stringify([{ email: 'a@example.com', event: 'delivered', sg_event_id: 'e1', timestamp: NOW / 1000 }]);

  function check(overrides: Partial<Parameters<typeof verifySendgridSignature>[0]> = {}) {
    const timestamp = overrides.timestamp ?? nowSeconds();
    return verifySendgridSignature({
      publicKey: keys.publicKeyBase64,
      signature: signSendgrid(keys.privateKey, timestamp, body),
      timestamp,
      rawBody: Buffer.from(body),
      now: NOW,
      ...overrides,
    });
  }

  it("verifies SendGrid's published test vector", () => {
    // From sendgrid-nodejs packages/eventwebhook/src/eventwebhook.spec.js.
    const publicKey = 'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEDr2LjtURuePQzplybdC+u4CwrqDqBaWjcMMsTbhdbcwHBcepxo7yAQGhHPTnlvFYPAZFceEu/1FwCM/QmGUhA==';
    const signature = 'MEUCIQCtIHJeH93Y+qpYeWrySphQgpNGNr/U+UyUlBkU6n7RAwIgJTz2C+8a8xonZGi6BpSzoQsbVRamr2nlxFDWYNH2j/0=';
    const rawBody = Buffer.from(JSON.stringify({ category: 'example_payload', event: 'test_event', message_id: 'message_id' }));
    const input = { publicKey, signature, timestamp: '1588788367', rawBody, now: 1588788367_000 };
    expect(verifySendgridSignature(input)).toEqual({ ok: true });
    expect(verifySendgridSignature({ ...input, rawBody: Buffer.from('payload') })).toMatchObject({ ok: false, status: 403 });
  });

  it('accepts a good signature, and one within the tolerance', () => {
    expect(check()).toEqual({ ok: true });
    expect(check({ timestamp: nowSeconds(-4 * 60_000) })).toEqual({ ok: true });
  });

  it('accepts the key pasted as a PEM block', () => {
    const pem = `-----BEGIN PUBLIC KEY-----\n${keys.publicKeyBase64.match(/.{1,64}/g)!.join('\n')}\n-----END PUBLIC KEY-----\n`;
    expect(check({ publicKey: pem })).toEqual({ ok: true });
  });

  it('refuses a body with one byte changed', () => {
    const forged = Buffer.from(body);
    forged[forged.indexOf('delivered')] = 'D'.charCodeAt(0);
    expect(check({ rawBody: forged })).toMatchObject({ ok: false, status: 403 });
  });

  it('refuses a signature made with another key', () => {
    expect(check({ publicKey: sendgridKeyPair().publicKeyBase64 })).toMatchObject({ ok: false, status: 403 });
  });

  it('refuses a signature over another timestamp', () => {
    expect(check({ signature: signSendgrid(keys.privateKey, nowSeconds(-1000), body) })).toMatchObject({ ok: false, status: 403 });
  });

  it('answers 401 when a header is missing', () => {
    expect(check({ signature: undefined })).toMatchObject({ ok: false, status: 401 });
    expect(check({ signature: '' })).toMatchObject({ ok: false, status: 401 });
    expect(check({ timestamp: null })).toMatchObject({ ok: false, status: 401 });
  });

  it('refuses stale, far-future and malformed timestamps, even when correctly signed', () => {
    for (const timestamp of [nowSeconds(-6 * 60_000), nowSeconds(6 * 60_000), `${nowSeconds()}.5`, '-1']) {
      const signature = signSendgrid(keys.privateKey, timestamp, body);
      expect(check({ timestamp, signature }), timestamp).toMatchObject({ ok: false, status: 403 });
    }
  });

  it('refuses when the configured key cannot be used', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
    for (const publicKey of ['', 'not a key', rsa]) {
      expect(check({ publicKey })).toMatchObject({ ok: false, status: 403, reason: expect.stringMatching(/key/) });
    }
  });

  it('refuses a signature that is not DER', () => {
    expect(check({ signature: Buffer.from('garbage').toString('base64') })).toMatchObject({ ok: false, status: 403 });
  });
});

describe('SendGrid events', () => {
  const base = { email: 'a@example.com', timestamp: 1_736_942_400, sg_message_id: 'msgid123.filterdrecv-1-2', herald_message_id: 'm-1', herald_run_id: 'r-1' };
  const parse = (events: unknown[]) => parseSendgridEvents(Buffer.from(JSON.stringify(events)));

  it('maps every event type', () => {
    const cases: [Record<string, unknown>, string, Record<string, unknown>][] = [
      [{ event: 'processed' }, 'accepted', {}],
      [{ event: 'delivered', response: '250 OK' }, 'delivered', { response: '250 OK' }],
      [{ event: 'deferred', response: '400 try later', attempt: '5' }, 'deferred', { attempt: '5' }],
      [
        { event: 'bounce', type: 'bounce', reason: '550 no such user', status: '5.1.1' },
        'bounced',
        { type: 'bounce', reason: '550 no such user', status: '5.1.1' },
      ],
      [{ event: 'bounce', type: 'blocked', reason: '421 try again' }, 'bounced', { type: 'blocked' }],
      [{ event: 'dropped', reason: 'Bounced Address' }, 'undeliverable', { reason: 'Bounced Address' }],
      [{ event: 'open', sg_machine_open: false }, 'opened', { sg_machine_open: false }],
      [{ event: 'click', url: 'https://example.com/pricing?a=1' }, 'clicked', { url: 'https://example.com/pricing?a=1' }],
      [{ event: 'spamreport' }, 'spam_report', {}],
      [{ event: 'unsubscribe' }, 'unsubscribed', {}],
      [{ event: 'group_unsubscribe', asm_group_id: 42 }, 'unsubscribed', { asm_group_id: 42 }],
      [{ event: 'group_resubscribe', asm_group_id: 42 }, 'resubscribed', { asm_group_id: 42 }],
    ];
    const { events, rejected } = parse(cases.map(([fields], i) => ({ ...base, sg_event_id: `ev-${i}`, ...fields })));
    expect(rejected).toEqual([]);
    expect(events.map((e) => e.kind)).toEqual(cases.map(([, kind]) => kind));
    events.forEach((event, i) => expect(event.detail, cases[i]![1]).toMatchObject({ ...cases[i]![2], runId: 'r-1' }));
  });

  it('carries the ids, time and raw event of a click', () => {
    const click = { ...base, event: 'click', sg_event_id: 'ZGVmYXVsdA', url: 'https://example.com/x', useragent: 'Mozilla' };
    const [event] = parse([click]).events;
    expect(event).toEqual({
      provider: 'sendgrid',
      messageId: 'm-1',
      providerMessageId: 'msgid123',
      kind: 'clicked',
      at: 1_736_942_400_000,
      dedupeKey: 'sendgrid:ZGVmYXVsdA',
      detail: { url: 'https://example.com/x', runId: 'r-1' },
      raw: click,
    });
  });

  it('keeps dedupe keys stable when SendGrid redelivers a batch', () => {
    const batch = [
      { ...base, event: 'open', sg_event_id: 'a' },
      { ...base, event: 'open', sg_event_id: 'b' },
    ];
    const first = parse(batch).events.map((e) => e.dedupeKey);
    const again = parse([...batch].reverse()).events.map((e) => e.dedupeKey);
    expect(first).toEqual(['sendgrid:a', 'sendgrid:b']);
    expect(again.sort()).toEqual(first);
  });

  it('leaves ids null when the payload lacks them', () => {
    const [event] = parse([{ email: 'a@example.com', timestamp: 1, event: 'delivered', sg_event_id: 'x' }]).events;
    expect(event).toMatchObject({ messageId: null, providerMessageId: null, at: 1000, detail: {} });
  });

  it('rejects bad events one by one and keeps the rest', () => {
    const { events, rejected } = parse([
      { ...base, event: 'delivered' },
      { ...base, event: 'delivered', sg_event_id: 'ok' },
      { ...base, event: 'machine_learning', sg_event_id: 'new-type' },
      { ...base, event: 'open', sg_event_id: '' },
      { ...base, event: 'open', sg_event_id: 'no-time', timestamp: 'yesterday' },
      'not an object',
    ]);
    expect(events.map((e) => e.dedupeKey)).toEqual(['sendgrid:ok']);
    expect(rejected.map((r) => r.index)).toEqual([0, 2, 3, 4, 5]);
    expect(rejected[0]!.reason).toMatch(/sg_event_id/);
    expect(rejected[1]!.reason).toMatch(/machine_learning/);
    expect(rejected[3]!.reason).toMatch(/timestamp/);
  });

  it('throws on a body that is not a JSON array', () => {
    expect(() => parseSendgridEvents(Buffer.from('{"event":"open"}'))).toThrow(/array/);
    expect(() => parseSendgridEvents(Buffer.from('[{"event":'))).toThrow(/not JSON/);
    expect(() => parseSendgridEvents(Buffer.from(''))).toThrow(/not JSON/);
  });
});

describe('Twilio signature', () => {
  const authToken = 'twilio-auth-token-0123456789abcdef';
  const url = 'https://herald.example.com/webhooks/twilio/status?message=m-1';
  const params = { MessageSid: 'SM123', MessageStatus: 'delivered', To: '+15551234567', From: '+15557654321', AccountSid: 'AC1' };
  const signature = signTwilio(authToken, url, params);

  it('accepts a good signature', () => {
    expect(verifyTwilioSignature({ authToken, signature, url, params })).toEqual({ ok: true });
  });

  it('does not depend on the order of the params', () => {
    const reordered = Object.fromEntries(Object.entries(params).reverse());
    expect(Object.keys(reordered)).not.toEqual(Object.keys(params));
    expect(verifyTwilioSignature({ authToken, signature, url, params: reordered })).toEqual({ ok: true });
  });

  it('refuses forged params, another URL or another token with 403', () => {
    const forged = [
      { params: { ...params, MessageStatus: 'failed' } },
      { params: { ...params, ErrorCode: '30003' } },
      { url: 'https://herald.example.com/webhooks/twilio/status?message=m-2' },
      { authToken: 'another-token' },
      { authToken: '' },
      { url: 'not a url' },
    ];
    for (const change of forged) {
      expect(verifyTwilioSignature({ authToken, signature, url, params, ...change }), JSON.stringify(change)).toMatchObject({ ok: false, status: 403 });
    }
  });

  it('answers 401 without a signature', () => {
    expect(verifyTwilioSignature({ authToken, signature: undefined, url, params })).toMatchObject({ ok: false, status: 401 });
    expect(verifyTwilioSignature({ authToken, signature: '', url, params })).toMatchObject({ ok: false, status: 401 });
  });
});

describe('Twilio status callbacks', () => {
  const status = (MessageStatus: string, extra: Record<string, string> = {}) =>
    parseTwilioStatus({ MessageSid: 'SM123', MessageStatus, AccountSid: 'AC1', To: '+15551234567', From: '+15557654321', ...extra }, { now: NOW });

  it('maps every status', () => {
    const mapping = {
      queued: 'accepted',
      accepted: 'accepted',
      sending: 'accepted',
      sent: 'sent',
      delivered: 'delivered',
      undelivered: 'undeliverable',
      failed: 'failed',
      read: 'opened',
      canceled: 'failed',
    };
    for (const [twilioStatus, kind] of Object.entries(mapping)) {
      expect(status(twilioStatus), twilioStatus).toMatchObject({ kind, detail: { status: twilioStatus } });
    }
  });

  it('carries the SID, error code, dedupe key and receipt time', () => {
    const event = status('undelivered', { ErrorCode: '30003' });
    expect(event).toEqual({
      provider: 'twilio',
      messageId: null,
      providerMessageId: 'SM123',
      kind: 'undeliverable',
      at: NOW,
      dedupeKey: 'twilio:SM123:undelivered',
      detail: { status: 'undelivered', errorCode: '30003' },
      raw: { MessageSid: 'SM123', MessageStatus: 'undelivered', AccountSid: 'AC1', To: '+15551234567', From: '+15557654321', ErrorCode: '30003' },
    });
    expect(status('undelivered', { ErrorCode: '30003' }).dedupeKey).toBe(event.dedupeKey);
    expect(status('delivered').dedupeKey).toBe('twilio:SM123:delivered');
  });

  it("takes Herald's message id from the caller", () => {
    expect(parseTwilioStatus({ MessageSid: 'SM1', MessageStatus: 'sent' }, { messageId: 'm-1' }).messageId).toBe('m-1');
  });

  it('throws on a missing SID or an unknown status', () => {
    expect(() => parseTwilioStatus({ MessageStatus: 'sent' })).toThrow(/MessageSid/);
    expect(() => parseTwilioStatus({ MessageSid: 'SM1' })).toThrow(/MessageStatus/);
    expect(() => parseTwilioStatus({ MessageSid: 'SM1', MessageStatus: 'teleported' })).toThrow(/teleported/);
    expect(() => parseTwilioStatus({ MessageSid: 'SM1', MessageStatus: 'constructor' })).toThrow(/constructor/);
  });
});

describe('Twilio inbound messages', () => {
  it('recognises the default keywords, whole-body only', () => {
    const cases: [string, 'stop' | 'start' | 'help' | null][] = [
      ['STOP', 'stop'],
      [' stop ', 'stop'],
      ['StopAll', 'stop'],
      ['unsubscribe', 'stop'],
      ['cancel', 'stop'],
      ['end', 'stop'],
      ['quit', 'stop'],
      ['optout', 'stop'],
      ['revoke\n', 'stop'],
      ['start', 'start'],
      ['Yes', 'start'],
      ['unstop', 'start'],
      ['help', 'help'],
      ['\tINFO', 'help'],
      ['Stop please', null],
      ['please stop', null],
      ['opt out', null],
      ['', null],
      ['hello', null],
    ];
    for (const [body, keyword] of cases) expect(parseInboundKeyword(body), JSON.stringify(body)).toBe(keyword);
  });

  it('answers with TwiML, escaped', () => {
    expect(twiml()).toBe('<?xml version="1.0" encoding="UTF-8"?><Response></Response>');
    expect(twiml('')).toBe('<?xml version="1.0" encoding="UTF-8"?><Response></Response>');
    expect(twiml(`You're unsubscribed from <Acme> & "friends".\u0007`)).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Response><Message>You&apos;re unsubscribed from &lt;Acme&gt; &amp; &quot;friends&quot;.</Message></Response>',
    );
  });
});
