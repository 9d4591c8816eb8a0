/** What the security tests share: a runtime configured for every route, extra keys, sample path values. */
import { generateKeyPairSync } from 'node:crypto';

export const READ_KEY = 'reader-key-0123456789-0123456789-0123456789';
export const TRIGGER_KEY = 'app-server-key-0123456789-0123456789-012345';
export const SEGMENT_WRITE_KEY = 'segment-server-write-key';
export const SEGMENT_BROWSER_KEY = 'segment-browser-write-key';
export const INBOX_SECRET = 'inbox-secret-0123456789-0123456789';

const sendgridKey = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ format: 'der', type: 'spki' }).toString('base64');

/** Every feature switched on, so that each route answers for its authentication, not for a missing setting. */
export const CONFIGURED_ENV: NodeJS.ProcessEnv = {
  SEGMENT_WRITE_KEY,
  SEGMENT_BROWSER_WRITE_KEY: SEGMENT_BROWSER_KEY,
  SEGMENT_SHARED_SECRET: 'segment-shared-secret',
  SENDGRID_WEBHOOK_PUBLIC_KEY: sendgridKey,
  TWILIO_AUTH_TOKEN: 'twilio-auth-token',
  HERALD_INBOX_SECRET: INBOX_SECRET,
};

/** A route's path with a plausible value for each parameter (ids are UUIDs, as most routes expect). */
export function sampleParams(path: string): string {
  return path.replace(/:(\w+)/g, (_, name: string) =>
    name === 'token' ? 'e30.bm90LWEtc2lnbmF0dXJl' : name === 'file' ? 'dashboard.css' : name === 'userId' ? 'user-1' : '00000000-0000-4000-8000-000000000000',
  );
}
