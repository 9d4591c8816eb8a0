/**
 * Names that must never be looked up as keys of an ordinary object: on one they reach `Object.prototype`
 * (`map['constructor']` is a function, `map['__proto__']` the prototype itself), so an id spelled so from a
 * request could crash a handler or, assigned to, change every object in the process.
 */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

export function isForbiddenKey(key: string): boolean {
  return FORBIDDEN_KEYS.has(key);
}

/**
 * A copy of parsed JSON in which every object has a null prototype, so that a lookup by any name — an event
 * name from Segment, a category from a form — finds only what the data holds. Arrays stay arrays.
 */
export function withNullPrototypes<T>(value: T): T {
  if (Array.isArray(value)) return value.map(withNullPrototypes) as T;
  if (typeof value !== 'object' || value === null) return value;
  const copy: Record<string, unknown> = Object.create(null);
  for (const key of Object.keys(value)) copy[key] = withNullPrototypes((value as Record<string, unknown>)[key]);
  return copy as T;
}
