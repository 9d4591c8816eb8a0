import type { BrandDefinition, BrandValues } from './definitions.ts';

/**
 * A brand: plain values that layouts, partials and templates read as `{{brand.name}}`,
 * `{{brand.colors.primary}}`. `settings({ brand: acme })` makes it the default brand; a tenant's brand overrides
 * it key by key at render time. Each value is a text or one level of named texts.
 *
 * @example
 * export const acme = brand('acme', {
 *   name: 'Acme', logoUrl: 'https://acme.example/logo.png', colors: { primary: '#0a66c2' },
 *   postalAddress: '1 Main St, Springfield', social: { twitter: 'https://x.com/acme' },
 * });
 */
export function brand(id: string, values: BrandValues): BrandDefinition {
  return { kind: 'brand', id, values };
}
