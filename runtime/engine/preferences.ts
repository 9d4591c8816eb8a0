/**
 * Who may be reached on which channel: the preference rule (shared with the API and dashboard so they can
 * explain a decision) and the address rule (a channel needs somewhere to deliver).
 */
import type { Bundle, Channel } from '../../compiler/bundle/schema.ts';
import type { UserSnapshot } from './types.ts';

/**
 * Which rule decided:
 * - `no-category`: the workflow has no preference category, so nothing to opt out of;
 * - `unknown-category`: the category is not in the bundle (treated as no category);
 * - `required`: the category is required (security, billing): users cannot opt out;
 * - `opted-in` / `opted-out`: the user's explicit choice for (category, channel);
 * - `tenant-default`: no explicit choice, and the run's tenant sets (category, channel) on or off;
 * - `category-default` / `not-a-default-channel`: neither, so the category's default channels.
 */
export type PreferenceRule =
  | 'no-category'
  | 'unknown-category'
  | 'required'
  | 'opted-in'
  | 'opted-out'
  | 'tenant-default'
  | 'category-default'
  | 'not-a-default-channel';

/**
 * May this user be sent `channel` messages of `categoryId`? Required categories always; then the user's own
 * choice; then the run's tenant's default; then the category's default channels.
 * @example resolvePreference(bundle, 'product-updates', 'sms', user) // → { allowed: false, rule: 'opted-out' }
 */
export function resolvePreference(
  bundle: Pick<Bundle, 'categories'>,
  categoryId: string | null,
  channel: Channel,
  user: Pick<UserSnapshot, 'preferences' | 'tenantPreferences'>,
): { allowed: boolean; rule: PreferenceRule } {
  if (categoryId === null) return { allowed: true, rule: 'no-category' };
  const category = bundle.categories[categoryId];
  if (!category) return { allowed: true, rule: 'unknown-category' };
  if (category.required) return { allowed: true, rule: 'required' };
  const explicit = user.preferences[categoryId]?.[channel];
  if (explicit !== undefined) return { allowed: explicit, rule: explicit ? 'opted-in' : 'opted-out' };
  // Own keys only: category ids come from the bundle, the tenant's map from a request.
  const tenant = user.tenantPreferences && Object.hasOwn(user.tenantPreferences, categoryId) ? user.tenantPreferences[categoryId] : undefined;
  const tenantDefault = tenant && Object.hasOwn(tenant, channel) ? tenant[channel] : undefined;
  if (tenantDefault !== undefined) return { allowed: tenantDefault, rule: 'tenant-default' };
  const isDefault = category.defaultChannels.includes(channel);
  return { allowed: isDefault, rule: isDefault ? 'category-default' : 'not-a-default-channel' };
}

/** What a channel needs on the profile, for messages that explain a `no_address` skip. */
export const ADDRESS_FIELD: Record<Channel, string> = {
  email: 'email',
  sms: 'phone_number',
  push: 'push_tokens',
  inapp: 'id',
  webhook: 'id',
};

/** Does the user have somewhere to receive `channel`? (in-app needs only a user id.) */
export function hasAddress(user: UserSnapshot, channel: Channel, userId: string | null = user.id): boolean {
  switch (channel) {
    case 'email':
      return typeof user.email === 'string' && user.email.trim() !== '';
    case 'sms':
      return typeof user.phone_number === 'string' && user.phone_number.trim() !== '';
    case 'push':
      return (user.push_tokens ?? []).length > 0;
    case 'inapp':
      return userId !== null && userId !== '';
    // The provider's URL is the address: every recipient has it, as for a Courier or Knock webhook channel.
    case 'webhook':
      return true;
  }
}
