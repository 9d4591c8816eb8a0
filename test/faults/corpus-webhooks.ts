/**
 * The corpus's forged webhooks (corpus.ts): unsigned, signed with the wrong key or token, changed after
 * signing, signed for another URL, and signed at a time outside SendGrid's 5-minute window (a captured
 * request replayed too late, or one dated ahead). Each must be refused: 401 without a signature, 403 with a
 * wrong one.
 */
import type { KeyObject } from 'node:crypto';
import { signSegmentBody } from '../../runtime/segment/auth.ts';
import { sendgridKeyPair, signSendgrid, signTwilio } from '../fakes/sign.ts';
import type { Case, CorpusSecrets } from './corpus.ts';

const USER = 'corpus-user';
const SIGNUP = { first_name: 'Ada', plan: 'pro' };

export function webhooks(s: CorpusSecrets, random: () => number, now: number): Case[] {
  const out: Case[] = [];
  const add = (name: string, path: string, headers: Record<string, string>, body: string, expect: number[]) =>
    out.push({ category: 'webhook', name, method: 'POST', path, headers, body, expect });

  // SendGrid: ECDSA over timestamp + body, 5 minutes either way.
  const events = JSON.stringify([
    {
      email: 'a@example.com',
      event: 'delivered',
      sg_event_id: `sg-${Math.floor(random() * 1e9)}`,
      timestamp: Math.floor(now / 1000),
      herald_message_id: '00000000-0000-4000-8000-000000000000',
    },
  ]);
  const ts = (offsetMs: number) => String(Math.floor((now + offsetMs) / 1000));
  const signed = (key: KeyObject, timestamp: string, body: string) => ({
    'content-type': 'application/json',
    'x-twilio-email-event-webhook-signature': signSendgrid(key, timestamp, body),
    'x-twilio-email-event-webhook-timestamp': timestamp,
  });
  const stranger = sendgridKeyPair().privateKey;
  add('sendgrid: unsigned', '/webhooks/sendgrid', { 'content-type': 'application/json' }, events, [401]);
  add(
    'sendgrid: no timestamp',
    '/webhooks/sendgrid',
    { 'content-type': 'application/json', 'x-twilio-email-event-webhook-signature': signSendgrid(s.sendgridPrivateKey, ts(0), events) },
    events,
    [401],
  );
  add('sendgrid: signed with another key', '/webhooks/sendgrid', signed(stranger, ts(0), events), events, [403]);
  add('sendgrid: body changed after signing', '/webhooks/sendgrid', signed(s.sendgridPrivateKey, ts(0), events), events.replace('delivered', 'open'), [403]);
  add('sendgrid: replayed 6 minutes late', '/webhooks/sendgrid', signed(s.sendgridPrivateKey, ts(-6 * 60_000), events), events, [403]);
  add('sendgrid: dated 6 minutes ahead', '/webhooks/sendgrid', signed(s.sendgridPrivateKey, ts(6 * 60_000), events), events, [403]);
  add('sendgrid: fractional timestamp', '/webhooks/sendgrid', signed(s.sendgridPrivateKey, `${ts(0)}.5`, events), events, [403]);
  add(
    'sendgrid: signature not base64 DER',
    '/webhooks/sendgrid',
    { ...signed(s.sendgridPrivateKey, ts(0), events), 'x-twilio-email-event-webhook-signature': '!!not-a-signature!!' },
    events,
    [403],
  );
  add(
    'sendgrid: signature over another timestamp',
    '/webhooks/sendgrid',
    { ...signed(s.sendgridPrivateKey, ts(-1000), events), 'x-twilio-email-event-webhook-timestamp': ts(0) },
    events,
    [403],
  );

  // Twilio: HMAC-SHA1 over the public URL + sorted params; no timestamp, so replays are deduped, not refused.
  const form = 'application/x-www-form-urlencoded';
  const status = { MessageSid: `SM${'0'.repeat(31)}1`, MessageStatus: 'delivered', AccountSid: 'AC0' };
  const statusPath = '/webhooks/twilio/status?message=00000000-0000-4000-8000-000000000000';
  const twilioHeaders = (signature: string | null) => ({ 'content-type': form, ...(signature === null ? {} : { 'x-twilio-signature': signature }) });
  const encode = (params: Record<string, string>) => new URLSearchParams(params).toString();
  add('twilio status: unsigned', statusPath, twilioHeaders(null), encode(status), [401]);
  add(
    'twilio status: signed with another token',
    statusPath,
    twilioHeaders(signTwilio('not-the-token', `${s.publicUrl}${statusPath}`, status)),
    encode(status),
    [403],
  );
  add(
    'twilio status: signed for another URL',
    statusPath,
    twilioHeaders(signTwilio(s.twilioAuthToken, `http://localhost${statusPath}`, status)),
    encode(status),
    [403],
  );
  add(
    'twilio status: signed for another message',
    statusPath,
    twilioHeaders(signTwilio(s.twilioAuthToken, `${s.publicUrl}/webhooks/twilio/status?message=11111111-1111-4111-8111-111111111111`, status)),
    encode(status),
    [403],
  );
  add(
    'twilio status: a param changed after signing',
    statusPath,
    twilioHeaders(signTwilio(s.twilioAuthToken, `${s.publicUrl}${statusPath}`, status)),
    encode({ ...status, MessageStatus: 'failed' }),
    [403],
  );
  const stop = { From: '+14155550100', To: '+15005550006', Body: 'STOP', MessageSid: `SM${'0'.repeat(31)}2` };
  add('twilio inbound STOP: unsigned', '/webhooks/twilio/inbound', twilioHeaders(null), encode(stop), [401]);
  add(
    'twilio inbound STOP: forged',
    '/webhooks/twilio/inbound',
    twilioHeaders(signTwilio('guessed-token', `${s.publicUrl}/webhooks/twilio/inbound`, stop)),
    encode(stop),
    [403],
  );
  add(
    'twilio inbound STOP: another number swapped in',
    '/webhooks/twilio/inbound',
    twilioHeaders(signTwilio(s.twilioAuthToken, `${s.publicUrl}/webhooks/twilio/inbound`, { ...stop, From: '+14155550199' })),
    encode(stop),
    [403],
  );

  // Segment's webhook destination: X-Signature, the hex HMAC-SHA1 of the body.
  const call = JSON.stringify({ type: 'track', event: 'fault_signup', userId: USER, properties: SIGNUP, messageId: 'segment-webhook-forged' });
  add('segment webhook: unsigned', '/webhooks/segment', { 'content-type': 'application/json' }, call, [401]);
  add(
    'segment webhook: wrong secret',
    '/webhooks/segment',
    { 'content-type': 'application/json', 'x-signature': signSegmentBody('not-the-secret', call) },
    call,
    [403],
  );
  add(
    'segment webhook: signature of another body',
    '/webhooks/segment',
    { 'content-type': 'application/json', 'x-signature': signSegmentBody(s.segmentSecret, `${call} `) },
    call,
    [403],
  );
  add('segment webhook: signature not hex', '/webhooks/segment', { 'content-type': 'application/json', 'x-signature': 'z'.repeat(40) }, call, [403]);
  return out;
}
