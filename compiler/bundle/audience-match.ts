/**
 * The meaning of an audience condition, in memory: does this profile belong? `runtime/audiences/sql.ts` says the
 * same thing as one SQL query, and `test/audiences/sql.test.ts` holds the two equal over random profiles and
 * conditions. The rules (runtime/audiences/README.md):
 * - a trait that is absent or JSON null is *missing*; every comparison on a missing value is false — `eq`, `ne`,
 *   `in`, `startsWith`, `gt`… alike — and only `exists` (false) and `not(…)` (true) see it;
 * - values compare with their JSON type: `'1'` never equals `1`; ordering compares numbers only (traits), or
 *   instants (the date fields, against an ISO date-time);
 * - a comparison the compiler would refuse (a prefix on a number, an order on an email) is false, never an error.
 */
import type { AudienceComparison, AudienceCondition, AudienceScalar } from './audience.ts';
import { isDateField, isTextField } from './audience.ts';
import type { Channel, JsonValue } from './schema.ts';

/** What an audience reads of one user: the `herald.users` row, its explicit preferences and its list memberships. */
export interface AudienceProfile {
  id: string;
  email: string | null;
  phone_number: string | null;
  locale: string | null;
  timezone: string | null;
  /** Epoch ms. */
  createdAt: number | null;
  lastActiveAt: number | null;
  traits: Record<string, JsonValue>;
  /** `category` → `channel` → the user's explicit choice (true: opted in). */
  preferences: Record<string, Partial<Record<Channel, boolean>>>;
  lists: readonly string[];
}

type Comparison = AudienceComparison & { name: string };

const sameScalar = (a: JsonValue | undefined, b: AudienceScalar): boolean => typeof a === typeof b && a === b;

function ordered(cmp: 'gt' | 'gte' | 'lt' | 'lte', a: number, b: number): boolean {
  if (cmp === 'gt') return a > b;
  if (cmp === 'gte') return a >= b;
  if (cmp === 'lt') return a < b;
  return a <= b;
}

function traitMatches(c: Comparison, traits: Record<string, JsonValue>): boolean {
  const value = Object.hasOwn(traits, c.name) ? traits[c.name] : undefined;
  if (value === undefined || value === null) return false;
  switch (c.cmp) {
    case 'exists':
      return true;
    case 'eq':
      return sameScalar(value, c.value);
    case 'ne':
      return !sameScalar(value, c.value);
    case 'in':
      return c.value.some((v) => sameScalar(value, v));
    case 'contains':
      return Array.isArray(value) && value.some((v) => sameScalar(v, c.value));
    case 'startsWith':
      return typeof value === 'string' && value.startsWith(c.value);
    default:
      return typeof value === 'number' && typeof c.value === 'number' && ordered(c.cmp, value, c.value);
  }
}

function textMatches(c: Comparison, value: string | null): boolean {
  if (value === null) return false;
  switch (c.cmp) {
    case 'exists':
      return true;
    case 'eq':
      return typeof c.value === 'string' && value === c.value;
    case 'ne':
      return typeof c.value === 'string' && value !== c.value;
    case 'in':
      return c.value.some((v) => v === value);
    case 'startsWith':
      return value.startsWith(c.value);
    default:
      return false;
  }
}

function dateMatches(c: Comparison, value: number | null): boolean {
  if (value === null) return false;
  if (c.cmp === 'exists') return true;
  if (c.cmp === 'gt' || c.cmp === 'gte' || c.cmp === 'lt' || c.cmp === 'lte') {
    return typeof c.value === 'string' && ordered(c.cmp, value, Date.parse(c.value));
  }
  return false;
}

function fieldValue(profile: AudienceProfile, name: string): string | number | null {
  switch (name) {
    case 'created_at':
      return profile.createdAt;
    case 'last_active_at':
      return profile.lastActiveAt;
    case 'id':
    case 'email':
    case 'phone_number':
    case 'locale':
    case 'timezone':
      return profile[name];
    default:
      return null;
  }
}

/**
 * @example matchesAudience({ op: 'trait', name: 'plan', cmp: 'eq', value: 'free' }, profile, Date.now()) // → true when plan is "free"
 */
export function matchesAudience(condition: AudienceCondition, profile: AudienceProfile, now: number): boolean {
  switch (condition.op) {
    case 'and':
      return condition.all.every((c) => matchesAudience(c, profile, now));
    case 'or':
      return condition.any.some((c) => matchesAudience(c, profile, now));
    case 'not':
      return !matchesAudience(condition.cond, profile, now);
    case 'trait':
      return traitMatches(condition, profile.traits);
    case 'field': {
      const value = fieldValue(profile, condition.name);
      if (isTextField(condition.name)) return textMatches(condition, typeof value === 'string' ? value : null);
      if (isDateField(condition.name)) return dateMatches(condition, typeof value === 'number' ? value : null);
      return false;
    }
    case 'preference': {
      const choices = Object.hasOwn(profile.preferences, condition.category) ? profile.preferences[condition.category]! : {};
      if (condition.channel !== undefined) return choices[condition.channel] === condition.allowed;
      return Object.values(choices).some((allowed) => allowed === condition.allowed);
    }
    case 'inList':
      return profile.lists.includes(condition.list);
    case 'activeWithin':
      return profile.lastActiveAt !== null && now - profile.lastActiveAt <= condition.durationMs;
  }
}
