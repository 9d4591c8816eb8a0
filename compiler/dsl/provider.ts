import type { z } from 'zod';
import type { JsonValue } from '../bundle/schema.ts';
import type {
  BrandDefinition,
  BrandValues,
  CategoryDefinition,
  Channel,
  ChannelDefinition,
  EnvRef,
  FrequencyLimitSpec,
  LayoutDefinition,
  ProviderDefinition,
  ProviderKind,
  SettingsDefinition,
} from './definitions.ts';
import type { Duration } from './duration.ts';

/**
 * Names an environment variable (or deployed secret) that holds a credential. Only the name reaches the
 * bundle; the runtime reads the value where it runs.
 */
export function env(name: string): EnvRef {
  return { kind: 'env', name };
}

/** The webhook channel's provider: a signed POST (Standard Webhooks) of the template's `webhook.body` to `url`. */
export interface WebhookProviderOptions {
  channel: 'webhook';
  kind?: 'webhook';
  /** Where to POST: `env('CRM_HOOK_URL')` (read where the runtime runs), or the URL itself. */
  url: EnvRef | string;
  /** The variable holding the signing secret: `whsec_` followed by the base64 of 24 to 64 random bytes. */
  secret: EnvRef;
}

/**
 * A delivery provider for one channel.
 *
 * @example
 * export const sendgrid = provider('sendgrid', {
 *   channel: 'email', kind: 'sendgrid',
 *   credentials: { apiKey: env('SENDGRID_API_KEY') }, from: 'hello@example.com',
 * });
 * export const crmHook = provider('crm-hook', { channel: 'webhook', url: env('CRM_HOOK_URL'), secret: env('CRM_HOOK_SECRET') });
 */
export function provider(id: string, options: WebhookProviderOptions): ProviderDefinition;
export function provider(
  id: string,
  options: { channel: Channel; kind: ProviderKind; credentials?: Record<string, EnvRef>; from?: string; options?: Record<string, JsonValue> },
): ProviderDefinition;
export function provider(
  id: string,
  options:
    | WebhookProviderOptions
    | { channel: Channel; kind: ProviderKind; credentials?: Record<string, EnvRef>; from?: string; options?: Record<string, JsonValue> },
): ProviderDefinition {
  if ('url' in options && 'secret' in options) {
    // The URL is a credential slot when it comes from the environment, an option when written in the bundle.
    const { url, secret } = options;
    return {
      kind: 'provider',
      id,
      channel: options.channel,
      provider: 'webhook',
      credentials: typeof url === 'string' ? { secret } : { url, secret },
      options: typeof url === 'string' ? { url } : {},
    };
  }
  return {
    kind: 'provider',
    id,
    channel: options.channel,
    provider: options.kind,
    credentials: options.credentials ?? {},
    ...(options.from === undefined ? {} : { from: options.from }),
    options: options.options ?? {},
  };
}

/**
 * Which providers serve a channel, in failover order.
 *
 * @example
 * export const email = channel('email', { providers: [sendgrid, sandboxEmail] });
 */
export function channel(name: Channel, options: { providers: (ProviderDefinition | string)[] }): ChannelDefinition {
  return { kind: 'channel', channel: name, providers: options.providers };
}

/**
 * A preference category that users opt in or out of, per channel. A `required` category (security codes,
 * receipts) cannot be opted out of. A `marketing` category's messages sell (offers, newsletters): the compliance
 * lint holds its SMS to the marketing rules (opt-out wording, a window in the recipient's time zone), and it may
 * not be `required`.
 *
 * @example
 * export const onboarding = category('onboarding', { description: 'Getting started tips', defaultChannels: ['email', 'sms', 'inapp'] });
 * export const promotions = category('promotions', { description: 'Offers', defaultChannels: ['email'], marketing: true });
 */
export function category(
  id: string,
  options: { description: string; defaultChannels: Channel[]; required?: boolean; marketing?: boolean },
): CategoryDefinition {
  return {
    kind: 'category',
    id,
    description: options.description,
    defaultChannels: options.defaultChannels,
    required: options.required ?? false,
    ...(options.marketing === undefined ? {} : { marketing: options.marketing }),
  };
}

/**
 * Project-wide settings; at most one per `notifications/` tree. `limits` caps how many messages one user gets,
 * across every workflow: on a channel, or in a category (`critical` sends and `required` categories excepted).
 * `addressGrace` is how long a send whose recipient has no address for its channels waits for the profile to
 * get one (default `'10s'`; `'0s'` skips at once). `brand` is the default brand: its keys are what templates may
 * read as `{{brand.…}}` (checked), and its values what they render unless a tenant's brand overrides them (a
 * `brand()` or plain values). `layouts.email` is the layout every email is wrapped in unless its template names
 * another or says `layout: false`. `compliance: 'strict'` makes the compliance lint's findings (unsubscribe link and
 * postal address in emails, opt-out wording in marketing SMS, lengths; compiler/compliance/README.md) errors.
 * `traits` is the zod schema of users' traits: audiences are checked against it (and typed by it once registered:
 * `declare module 'herald' { interface Register { traits: typeof traits } }`).
 *
 * @example
 * export default settings({
 *   retention: '30d',
 *   limits: [{ channel: 'sms', max: 3, per: '1d' }, { category: promotions, max: 5, per: '1w' }],
 *   addressGrace: '10s',
 *   brand: { name: 'Acme', postalAddress: '1 Main St, Springfield', colors: { primary: '#0a66c2' } },
 * });
 */
export function settings(options: {
  retention?: Duration;
  limits?: FrequencyLimitSpec[];
  addressGrace?: Duration;
  brand?: BrandValues | BrandDefinition;
  layouts?: { email?: LayoutDefinition };
  traits?: z.ZodObject;
  compliance?: 'strict';
}): SettingsDefinition {
  return {
    kind: 'settings',
    ...(options.retention === undefined ? {} : { retention: options.retention }),
    ...(options.limits === undefined ? {} : { limits: options.limits }),
    ...(options.addressGrace === undefined ? {} : { addressGrace: options.addressGrace }),
    ...(options.brand === undefined ? {} : { brand: options.brand }),
    ...(options.traits === undefined ? {} : { traits: options.traits }),
    ...(options.layouts === undefined ? {} : { layouts: options.layouts }),
    ...(options.compliance === undefined ? {} : { compliance: options.compliance }),
  };
}
