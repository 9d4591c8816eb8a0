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
  channels: Record<Channel, ChannelPreference>;
}

/** Every category of `bundle` (none without a live bundle), in the bundle's order; with `tenantPreferences`, as a send of that tenant. */
export function resolveAll(
  bundle: Pick<Bundle, 'categories'> | null | undefined,
  user: Pick<UserSnapshot, 'preferences' | 'tenantPreferences'>,
): CategoryPreferences[] {
  if (!bundle) return [];
  return Object.values(bundle.categories).map((category) => ({
    id: category.id,
    description: category.description,
    required: category.required,
    channels: Object.fromEntries(CHANNELS.map((channel) => [channel, resolvePreference(bundle, category.id, channel, user)])) as Record<
      Channel,
      ChannelPreference
    >,
  }));
}
