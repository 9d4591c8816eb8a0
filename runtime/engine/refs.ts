/**
 * References into a run's context (`data.plan.tier`, `user.email`, `user.traits.company`, `digest.count`),
 * JSON equality, and the string keys that split digests and throttles.
 */
import type { JsonValue } from '../../compiler/bundle/schema.ts';
import type { RunState, UserSnapshot } from './types.ts';

export interface RefScope {
  data: Record<string, JsonValue>;
  user: UserSnapshot;
  digest?: RunState['digest'];
  /** Fetch answers by step id (`fetched.cart.status`); a failed fetch with `onError: 'continue'` has none. */
  fetched?: RunState['fetched'];
}

/** The user as refs see it: profile fields and traits, not preferences (use the `preference` condition). */
function userView(user: UserSnapshot): Record<string, JsonValue> {
  return {
    id: user.id,
    email: user.email ?? null,
    phone_number: user.phone_number ?? null,
    push_tokens: user.push_tokens ?? [],
    locale: user.locale ?? null,
    timezone: user.timezone ?? null,
    traits: user.traits,
    lastActiveAt: user.lastActiveAt,
  };
}

/** The value at `path`, or undefined when any segment is missing. Roots: `data`, `user`, `digest`, `fetched`. */
export function resolveRef(path: string, scope: RefScope): JsonValue | undefined {
  const [root, ...rest] = path.split('.');
  let current: JsonValue | undefined;
  if (root === 'data') current = scope.data;
  else if (root === 'user') current = userView(scope.user);
  else if (root === 'fetched') current = scope.fetched;
  else if (root === 'digest') current = scope.digest ? { count: scope.digest.count, items: scope.digest.items, omitted: scope.digest.omitted ?? 0 } : undefined;
  else return undefined;
  for (const segment of rest) {
    if (Array.isArray(current) && /^\d+$/.test(segment)) current = current[Number(segment)];
    else if (current !== null && typeof current === 'object' && !Array.isArray(current) && Object.hasOwn(current, segment)) {
      current = current[segment];
    } else return undefined;
  }
  return current;
}

export function jsonEqual(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  if (a === b) return true;
  if (a === null || b === null || a === undefined || b === undefined || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => jsonEqual(v, b[i]));
  }
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k], b[k]));
}

/** A digest/throttle key: the referenced value as text (`''` when there is no key or no value). */
export function keyOf(path: string | undefined, scope: RefScope): string {
  if (path === undefined) return '';
  const value = resolveRef(path, scope);
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Sets `path` (`traits.plan`, `locale`) on a plain object, creating objects along the way. */
export function setPath(target: Record<string, JsonValue>, path: string, value: JsonValue): void {
  const segments = path.split('.');
  const last = segments.pop();
  if (last === undefined) return;
  let node = target;
  for (const segment of segments) {
    const next = node[segment];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) node[segment] = {};
    node = node[segment] as Record<string, JsonValue>;
  }
  node[last] = value;
}
