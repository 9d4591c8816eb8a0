/** The preference rule's order: required, then the user's own choice, then the tenant's default, then the category's. */
import { describe, expect, it } from 'vitest';
import type { Category } from '../../compiler/bundle/schema.ts';
import { resolvePreference } from './index.ts';

const category = (id: string, required = false): Category => ({ id, description: id, defaultChannels: ['email'], required });
const bundle = { categories: { news: category('news'), security: category('security', true) } };

describe('resolvePreference with a tenant', () => {
  it('puts the tenant default between the user’s choice and the category default', () => {
    const tenantPreferences = { news: { email: false, sms: true } };
    // No choice of the user's: the tenant's default decides, both ways.
    expect(resolvePreference(bundle, 'news', 'email', { preferences: {}, tenantPreferences })).toEqual({ allowed: false, rule: 'tenant-default' });
    expect(resolvePreference(bundle, 'news', 'sms', { preferences: {}, tenantPreferences })).toEqual({ allowed: true, rule: 'tenant-default' });
    // The user's explicit choice wins over it.
    expect(resolvePreference(bundle, 'news', 'email', { preferences: { news: { email: true } }, tenantPreferences })).toEqual({
      allowed: true,
      rule: 'opted-in',
    });
    expect(resolvePreference(bundle, 'news', 'sms', { preferences: { news: { sms: false } }, tenantPreferences })).toEqual({
      allowed: false,
      rule: 'opted-out',
    });
    // A channel the tenant says nothing of: the category's default.
    expect(resolvePreference(bundle, 'news', 'push', { preferences: {}, tenantPreferences })).toEqual({ allowed: false, rule: 'not-a-default-channel' });
    // No tenant: as before.
    expect(resolvePreference(bundle, 'news', 'email', { preferences: {} })).toEqual({ allowed: true, rule: 'category-default' });
  });

  it('always sends a required category, whatever the tenant says', () => {
    const tenantPreferences = { security: { email: false } };
    expect(resolvePreference(bundle, 'security', 'email', { preferences: {}, tenantPreferences })).toEqual({ allowed: true, rule: 'required' });
  });

  it('reads only the tenant map’s own keys', () => {
    const tenantPreferences = JSON.parse('{"__proto__": {"email": false}}') as Record<string, Record<string, boolean>>;
    expect(
      resolvePreference({ categories: { ...bundle.categories, constructor: category('constructor') } }, 'constructor', 'email', {
        preferences: {},
        tenantPreferences,
      }),
    ).toEqual({
      allowed: true,
      rule: 'category-default',
    });
  });
});
