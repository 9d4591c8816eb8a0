/**
 * Signs webhook requests the way SendGrid and Twilio do, so tests exercise the real verification code
 * instead of stubbing it out.
 */
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import twilio from 'twilio';

export interface SendgridKeyPair {
  /** DER SubjectPublicKeyInfo in base64, as SendGrid's settings page shows the verification key. */
  publicKeyBase64: string;
  privateKey: KeyObject;
}

export function sendgridKeyPair(): SendgridKeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return { publicKeyBase64: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'), privateKey };
}

/** The `X-Twilio-Email-Event-Webhook-Signature` value for `timestamp + rawBody`. */
export function signSendgrid(privateKey: KeyObject, timestamp: string, rawBody: string | Buffer): string {
  const payload = Buffer.concat([Buffer.from(timestamp, 'utf8'), Buffer.from(rawBody)]);
  return sign('sha256', payload, { key: privateKey, dsaEncoding: 'der' }).toString('base64');
}

/** The `X-Twilio-Signature` value for a form post of `params` to `url`. */
export function signTwilio(authToken: string, url: string, params: Record<string, string>): string {
  return twilio.getExpectedTwilioSignature(authToken, url, params);
}
