/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com), made by the `standardwebhooks` package so
 * that what we send is what every receiver's verifier expects. Secrets are `whsec_` + base64 of random bytes,
 * as the specification and its libraries write them.
 */
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

export interface WebhookHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

const PREFIX = 'whsec_';
/** Fewer secret bytes than this are refused: the specification asks for 24 to 64. */
const MIN_SECRET_BYTES = 24;

/** What is wrong with a secret (to say to a person), or null when it can sign. */
export function webhookSecretProblem(secret: string): string | null {
  const encoded = secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) || encoded.length % 4 !== 0)
    return 'is not a Standard Webhooks secret: write whsec_ followed by the base64 of 24 to 64 random bytes (e.g. `echo whsec_$(openssl rand -base64 32)`)';
  if (Buffer.from(encoded, 'base64').length < MIN_SECRET_BYTES) return `is too short: the base64 after whsec_ must hold at least ${MIN_SECRET_BYTES} bytes`;
  return null;
}

/** A new secret, shown once to whoever registers an endpoint. */
export function generateWebhookSecret(): string {
  return `${PREFIX}${randomBytes(32).toString('base64')}`;
}

// Decoding a secret is the costly part of signing; a process holds a handful of them.
const signers = new Map<string, Webhook>();

function signerFor(secret: string): Webhook {
  let signer = signers.get(secret);
  if (!signer) {
    const problem = webhookSecretProblem(secret);
    if (problem) throw new Error(`the webhook secret ${problem}`);
    if (signers.size >= 1000) signers.clear();
    signer = new Webhook(secret);
    signers.set(secret, signer);
  }
  return signer;
}

/**
 * The three headers of a signed request. `id` is the message's own id (the same on every retry, so a receiver
 * can drop duplicates), `timestamp` when this attempt is made, `body` the exact bytes sent.
 *
 * @example signWebhook(process.env.CRM_HOOK_SECRET!, 'msg_2x8…', new Date(), JSON.stringify(payload))
 */
export function signWebhook(secret: string, id: string, timestamp: Date, body: string): WebhookHeaders {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
    'webhook-signature': signerFor(secret).sign(id, timestamp, body),
  };
}
