/**
 * A webhook's JSON body is a template whose strings are the Handlebars fields: the compiler checks and composes
 * each, the runtime renders each. One walk for all three, so a path means the same everywhere
 * (`body.items.0.name`).
 */

/**
 * The value with each string replaced by `map(path, text)`; objects come back with null prototypes (keys come from
 * the team's JSON), arrays and other values as they are.
 */
export function mapJsonStrings(value: unknown, path: string, map: (path: string, text: string) => string): unknown {
  if (typeof value === 'string') return map(path, value);
  if (Array.isArray(value)) return value.map((item, i) => mapJsonStrings(item, `${path}.${i}`, map));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = Object.create(null);
    for (const [key, item] of Object.entries(value)) out[key] = mapJsonStrings(item, `${path}.${key}`, map);
    return out;
  }
  return value;
}

/** Every string inside a JSON value, with its path. */
export function jsonStrings(value: unknown, path: string): { field: string; source: string }[] {
  const found: { field: string; source: string }[] = [];
  mapJsonStrings(value, path, (field, source) => {
    found.push({ field, source });
    return source;
  });
  return found;
}
