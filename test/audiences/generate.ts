/**
 * Random profiles and random audience conditions from a seeded PRNG, for the property test: the same seed gives
 * the same data, so a failure reproduces (`AUDIENCE_SEED=… npx vitest run test/audiences/sql.test.ts`). Values are
 * drawn from small pools shared by both sides, so conditions match some rows and miss others.
 */
import type { AudienceCondition } from '../../compiler/bundle/audience.ts';
import type { AudienceProfile } from '../../compiler/bundle/audience-match.ts';
import type { Channel, JsonValue } from '../../compiler/bundle/schema.ts';

import { seeded } from '../setup/seeded.ts';

/** The seeded PRNG the generators draw from. */
export const prng = seeded;

export type Random = ReturnType<typeof prng>;
const pick = <T>(r: Random, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const chance = (r: Random, p: number) => r() < p;

const DAY = 86_400_000;
export const NOW = Date.parse('2025-06-01T12:00:00.000Z');

// LIKE's own characters (`%`, `_`, `\`) appear in the data and the prefixes: an unescaped prefix would match more.
const LOCALES = ['fr', 'fr-FR', 'fr-CA', 'fr_BE', 'en', 'en-US', 'de-DE', 'f%r', 'f\\r'] as const;
const PREFIXES = ['fr', 'fr-', 'f', 'en', 'f%', 'f_', 'f\\', 'de-DE', '', 'zz'] as const;
const ZONES = ['Europe/Paris', 'America/New_York', 'UTC', 'Asia/Tokyo'] as const;
const DOMAINS = ['example.com', 'acme.io', 'mail.fr'] as const;
const PLANS = ['free', 'pro', 'team'] as const;
const TAGS = ['beta', 'vip', 'churn-risk', 'admin'] as const;
export const CATEGORIES = ['product-updates', 'promotions'] as const;
const CHANNELS: readonly Channel[] = ['email', 'sms', 'push', 'inapp'];
export const LISTS = ['project:1:watchers', 'a.b.c', 'list_%'] as const;
const TRAIT_NAMES = ['plan', 'seats', 'beta', 'tags', 'score', 'company', 'absent', 'odd key'] as const;

function traitValue(r: Random, name: (typeof TRAIT_NAMES)[number]): JsonValue | undefined {
  if (chance(r, 0.15)) return undefined;
  if (chance(r, 0.05)) return null;
  switch (name) {
    case 'plan':
      return chance(r, 0.9) ? pick(r, PLANS) : 1;
    case 'seats':
      return chance(r, 0.85) ? Math.floor(r() * 50) : chance(r, 0.5) ? '5' : 12.5;
    case 'beta':
      return chance(r, 0.9) ? chance(r, 0.5) : 'true';
    case 'tags':
      return chance(r, 0.9) ? TAGS.filter(() => chance(r, 0.35)) : pick(r, TAGS);
    case 'score':
      return Math.round(r() * 2000 - 1000) / 10;
    case 'company':
      return chance(r, 0.8) ? pick(r, ['Acme', 'Globex', 'Initech']) : { name: 'Acme' };
    case 'odd key':
      return pick(r, PLANS);
    default:
      return undefined;
  }
}

export function generateProfiles(r: Random, count: number): AudienceProfile[] {
  const profiles: AudienceProfile[] = [];
  for (let i = 0; i < count; i++) {
    const traits: Record<string, JsonValue> = {};
    for (const name of TRAIT_NAMES) {
      const value = traitValue(r, name);
      if (value !== undefined) traits[name] = value;
    }
    const preferences: AudienceProfile['preferences'] = {};
    for (const category of CATEGORIES) {
      for (const channel of CHANNELS) if (chance(r, 0.12)) (preferences[category] ??= {})[channel] = chance(r, 0.5);
    }
    profiles.push({
      // Mixed case: byte order (upper case first) differs from most locales' order.
      id: `${chance(r, 0.3) ? 'U' : 'u'}${String(i).padStart(5, '0')}`,
      email: chance(r, 0.1) ? null : `user${i}@${pick(r, DOMAINS)}`,
      phone_number: chance(r, 0.5) ? null : `+${pick(r, ['33', '1'])}${String(1e8 + i)}`,
      locale: chance(r, 0.15) ? null : pick(r, LOCALES),
      timezone: chance(r, 0.2) ? null : pick(r, ZONES),
      createdAt: NOW - Math.floor(r() * 730 * DAY),
      lastActiveAt: chance(r, 0.2) ? null : NOW - Math.floor(r() * 90 * DAY),
      traits,
      preferences,
      lists: LISTS.filter(() => chance(r, 0.25)),
    });
  }
  return profiles;
}

const scalarFor = (r: Random): string | number | boolean => pick(r, [...PLANS, 'Acme', 'beta', 'vip', '5', 'true', 1, 5, 12.5, true, false]);

function leaf(r: Random): AudienceCondition {
  switch (Math.floor(r() * 11)) {
    case 0:
      return { op: 'trait', name: pick(r, TRAIT_NAMES), cmp: pick(r, ['eq', 'ne'] as const), value: scalarFor(r) };
    case 1:
      return { op: 'trait', name: pick(r, TRAIT_NAMES), cmp: 'in', value: [scalarFor(r), scalarFor(r)] };
    case 2:
      return { op: 'trait', name: pick(r, TRAIT_NAMES), cmp: pick(r, ['exists', 'exists'] as const) };
    case 3:
      return { op: 'trait', name: pick(r, ['tags', 'plan', 'seats'] as const), cmp: 'contains', value: pick(r, [...TAGS, 5, 'free']) };
    case 4:
      return {
        op: 'trait',
        name: pick(r, ['seats', 'score', 'plan'] as const),
        cmp: pick(r, ['gt', 'gte', 'lt', 'lte'] as const),
        value: pick(r, [0, 5, 12.5, 25, -3.5, 100]),
      };
    case 5:
      return { op: 'trait', name: pick(r, ['plan', 'company', 'seats'] as const), cmp: 'startsWith', value: pick(r, ['f', 'pr', 'Ac', '', '5']) };
    case 6: {
      const name = pick(r, ['locale', 'email', 'timezone', 'phone_number', 'id'] as const);
      const cmp = pick(r, ['eq', 'ne', 'in', 'startsWith', 'startsWith', 'exists'] as const);
      const value =
        name === 'locale' ? pick(r, [...LOCALES]) : name === 'timezone' ? pick(r, ZONES) : name === 'phone_number' ? '+33' : name === 'id' ? 'u00010' : 'user1';
      if (cmp === 'exists') return { op: 'field', name, cmp };
      if (cmp === 'in') return { op: 'field', name, cmp, value: [value, pick(r, [...LOCALES, ...ZONES])] };
      if (cmp === 'startsWith') return { op: 'field', name, cmp, value: name === 'locale' ? pick(r, PREFIXES) : name === 'email' ? 'user1' : value };
      return { op: 'field', name, cmp, value };
    }
    case 7: {
      const at = new Date(NOW - Math.floor(r() * 400 * DAY)).toISOString();
      const name = pick(r, ['created_at', 'last_active_at'] as const);
      return chance(r, 0.2) ? { op: 'field', name, cmp: 'exists' } : { op: 'field', name, cmp: pick(r, ['gt', 'gte', 'lt', 'lte'] as const), value: at };
    }
    case 8:
      return chance(r, 0.5)
        ? { op: 'preference', category: pick(r, CATEGORIES), allowed: chance(r, 0.5) }
        : { op: 'preference', category: pick(r, CATEGORIES), channel: pick(r, CHANNELS), allowed: chance(r, 0.5) };
    case 9:
      return { op: 'inList', list: pick(r, [...LISTS, 'nobody']) };
    default:
      return { op: 'activeWithin', durationMs: pick(r, [1, 7, 30, 60]) * DAY };
  }
}

export function generateCondition(r: Random, depth = 0): AudienceCondition {
  const roll = r();
  if (depth >= 3 || roll < 0.45) return leaf(r);
  if (roll < 0.65) return { op: 'and', all: Array.from({ length: Math.floor(r() * 3) + (depth === 0 ? 1 : 0) }, () => generateCondition(r, depth + 1)) };
  if (roll < 0.85) return { op: 'or', any: Array.from({ length: Math.floor(r() * 3) + (depth === 0 ? 1 : 0) }, () => generateCondition(r, depth + 1)) };
  return { op: 'not', cond: generateCondition(r, depth + 1) };
}
