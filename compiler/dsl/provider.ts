import type { z } from 'zod';
import type { JsonValue } from '../bundle/schema.ts';
import type {
  BrandValues,
  CategoryDefinition,
  Channel,
  ChannelDefinition,
  EnvRef,
  FrequencyLimitSpec,
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

/**
 * A delivery provider for one channel.
 *
 * @example
 * export const sendgrid = provider('sendgrid', {
 *   channel: 'email', kind: 'sendgrid',
 *   credentials: { apiKey: env('SENDGRID_API_KEY') }, from: 'hello@example.com',
 * });
 */
export function provider(
  id: string,
  options: {
    channel: Channel;
    kind: ProviderKind;
    credentials?: Record<string, EnvRef>;
    from?: string;
    options?: Record<string, JsonValue>;
  },
): ProviderDefinition {
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
 * receipts) cannot be opted out of.
 *
 * @example
 * export const onboarding = category('onboarding', { description: 'Getting started tips', defaultChannels: ['email', 'sms', 'inapp'] });
 */
export function category(id: string, options: { description: string; defaultChannels: Channel[]; required?: boolean }): CategoryDefinition {
  return {
    kind: 'category',
    id,
    description: options.description,
    defaultChannels: options.defaultChannels,
    required: options.required ?? false,
  };
}

/**
 * Project-wide settings; at most one per `notifications/` tree. `limits` caps how many messages one user gets,
 * across every workflow: on a channel, or in a category (`critical` sends and `required` categories excepted).
 * `addressGrace` is how long a send whose recipient has no address for its channels waits for the profile to
 * get one (default `'10s'`; `'0s'` skips at once). `brand` is the default brand: its keys are what templates may
 * read as `{{brand.…}}` (checked), and its values what they render unless a tenant's brand overrides them.
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
  brand?: BrandValues;
  traits?: z.ZodObject;
}): SettingsDefinition {
  return {
    kind: 'settings',
    ...(options.retention === undefined ? {} : { retention: options.retention }),
    ...(options.limits === undefined ? {} : { limits: options.limits }),
    ...(options.addressGrace === undefined ? {} : { addressGrace: options.addressGrace }),
    ...(options.brand === undefined ? {} : { brand: options.brand }),
    ...(options.traits === undefined ? {} : { traits: options.traits }),
  };
}
