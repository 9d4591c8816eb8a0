/**
 * `{{brand.…}}` at render time: the bundle's default brand (`settings.brand`, whose keys the compiler checked
 * templates against) with a tenant's brand values over it, key by key — and, for a group such as `colors`,
 * name by name, so a tenant that sets only `colors.primary` keeps the default's other colours. A tenant's key
 * the bundle does not declare is left out: no template can read it, and the API refuses it when it is written
 * (a bundle deployed since may have dropped it).
 */
import type { Brand } from '../../compiler/bundle/schema.ts';

/** The brand a message renders with; null when the bundle declares none (then `brand` is no built-in). */
export function resolveBrand(declared: Brand | undefined, tenant: Brand | null | undefined): Brand | null {
  if (!declared) return null;
  const out: Brand = Object.create(null);
  for (const [key, value] of Object.entries(declared)) {
    const over = tenant && Object.hasOwn(tenant, key) ? tenant[key] : undefined;
    if (typeof value === 'string') out[key] = typeof over === 'string' ? over : value;
    else {
      const group: Record<string, string> = Object.create(null);
      for (const [name, text] of Object.entries(value)) {
        const replaced = over && typeof over === 'object' && Object.hasOwn(over, name) ? over[name] : undefined;
        group[name] = typeof replaced === 'string' ? replaced : text;
      }
      out[key] = group;
    }
  }
  return out;
}

/** The keys (and group names, `colors.primary`) of `values` that `declared` does not have: what a tenant may not set. */
export function undeclaredBrandKeys(declared: Brand | undefined, values: Brand): string[] {
  const out: string[] = [];
  for (const [key, value] of Object.entries(values)) {
    const known = declared && Object.hasOwn(declared, key) ? declared[key] : undefined;
    if (known === undefined) out.push(key);
    else if (typeof known === 'string' && typeof value !== 'string') out.push(key);
    else if (typeof known === 'object' && typeof value === 'string') out.push(key);
    else if (typeof known === 'object' && typeof value === 'object') {
      for (const name of Object.keys(value)) if (!Object.hasOwn(known, name)) out.push(`${key}.${name}`);
    }
  }
  return out;
}

/** Every declared key, `colors.primary` for a group's names: what a refusal lists. */
export function declaredBrandKeys(declared: Brand | undefined): string[] {
  if (!declared) return [];
  return Object.entries(declared).flatMap(([key, value]) => (typeof value === 'string' ? [key] : Object.keys(value).map((name) => `${key}.${name}`)));
}
