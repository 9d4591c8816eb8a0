/**
 * A user's preferences as every surface shows them (the preferences API, the hosted preference center):
 * each category of the live bundle × each channel, decided by the engine's own rule (resolvePreference),
 * so what a page shows is exactly what the next send will do.
 */
import { CHANNELS, type Bundle, type Channel } from '../../compiler/bundle/schema.ts';
import { resolvePreference, type PreferenceRule } from '../engine/index.ts';
import type { UserSnapshot } from '../engine/index.ts';

export interface ChannelPreference {
  allowed: boolean;
  rule: PreferenceRule;
}

export interface CategoryPreferences {
  id: string;
  description: string;
  required: boolean;
  /** Every channel the bundle offers (offeredChannels). */
  channels: Partial<Record<Channel, ChannelPreference>>;
}

/**
 * The channels a person is asked about: the four built-in ones always, the webhook channel only where the bundle
 * has a webhook provider (so a bundle without one shows and answers exactly what it did before webhooks existed).
 */
export function offeredChannels(bundle: Pick<Bundle, 'providers'>): Channel[] {
  const webhook = Object.values(bundle.providers).some((p) => p.channel === 'webhook');
  return CHANNELS.filter((channel) => channel !== 'webhook' || webhook);
}

/** Every category of `bundle` (none without a live bundle), in the bundle's order; with `tenantPreferences`, as a send of that tenant. */
export function resolveAll(
  bundle: Pick<Bundle, 'categories' | 'providers'> | null | undefined,
  user: Pick<UserSnapshot, 'preferences' | 'tenantPreferences'>,
): CategoryPreferences[] {
  if (!bundle) return [];
  return Object.values(bundle.categories).map((category) => ({
    id: category.id,
    description: category.description,
    required: category.required,
    channels: Object.fromEntries(offeredChannels(bundle).map((channel) => [channel, resolvePreference(bundle, category.id, channel, user)])),
  }));
}
