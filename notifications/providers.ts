/**
 * Who delivers each channel, and in which order of failover. Credentials are only the *names* of
 * environment variables (or deployed secrets): `env('SENDGRID_API_KEY')` puts the name in the bundle,
 * and the runtime reads the value where it runs.
 */
import { channel, env, provider } from 'herald';

export const sendgrid = provider('sendgrid', {
  channel: 'email',
  kind: 'sendgrid',
  credentials: { apiKey: env('SENDGRID_API_KEY') },
  from: 'hello@example.com',
});

export const twilio = provider('twilio', {
  channel: 'sms',
  kind: 'twilio',
  credentials: { accountSid: env('TWILIO_ACCOUNT_SID'), authToken: env('TWILIO_AUTH_TOKEN') },
  from: '+15005550006',
});

export const fcm = provider('fcm', {
  channel: 'push',
  kind: 'fcm',
  credentials: { serviceAccount: env('FIREBASE_SERVICE_ACCOUNT') },
});

/** The in-app inbox is served by Herald itself: no credentials, nothing to fail over to. */
export const inbox = provider('inbox', { channel: 'inapp', kind: 'inapp' });

// Sandbox providers record messages instead of sending them: second in each failover order, they keep a
// local run (no credentials set) working end to end, and show in the log which messages would have gone out.
export const sandboxEmail = provider('sandbox-email', { channel: 'email', kind: 'sandbox', from: 'hello@example.com' });
export const sandboxSms = provider('sandbox-sms', { channel: 'sms', kind: 'sandbox', from: '+15005550006' });
export const sandboxPush = provider('sandbox-push', { channel: 'push', kind: 'sandbox' });

export const email = channel('email', { providers: [sendgrid, sandboxEmail] });
export const sms = channel('sms', { providers: [twilio, sandboxSms] });
export const push = channel('push', { providers: [fcm, sandboxPush] });
export const inapp = channel('inapp', { providers: [inbox] });
