/**
 * Branding keys at compile time and render time: `{{brand.…}}` is checked against the settings' declared brand like
 * any variable (an unknown key is the usual unknown-variable problem), `brand` is no built-in without a declared
 * brand, and a tenant's values go over the default key by key, undeclared ones left out.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { checkTemplateString, scopeForEvent } from '../../compiler/templates/check.ts';
import { resolveBrand, undeclaredBrandKeys } from '../../runtime/render/index.ts';

const declared = { name: 'Example Inc.', postalAddress: '1 Example Street', colors: { primary: '#0a66c2' } };
const schema = z.toJSONSchema(z.object({ first_name: z.string() })) as Record<string, unknown>;

describe('brand keys in templates', () => {
  it('accepts declared keys and reports an unknown one as an unknown variable, with a suggestion', () => {
    const scope = scopeForEvent(schema, 'trial_started', declared);
    expect(checkTemplateString('{{brand.name}} · {{brand.postalAddress}} · {{brand.colors.primary}}', scope)).toEqual([]);
    const [problem] = checkTemplateString('{{brand.nmae}}', scope);
    expect(problem).toMatchObject({
      code: 'template-unknown-variable',
      message: 'unknown variable "brand.nmae": "brand" has no field "nmae"',
      hint: 'did you mean "brand.name"?',
    });
    expect(checkTemplateString('{{brand.colors.secondary}}', scope)[0]?.message).toBe(
      'unknown variable "brand.colors.secondary": "brand.colors" has no field "secondary"',
    );
  });

  it('has no brand without a declared one, so an event field named brand keeps working', () => {
    expect(checkTemplateString('{{brand.name}}', scopeForEvent(schema, 'trial_started'))[0]?.code).toBe('template-unknown-variable');
    const withBrandField = z.toJSONSchema(z.object({ brand: z.string() })) as Record<string, unknown>;
    expect(checkTemplateString('{{brand}}', scopeForEvent(withBrandField, 'e'))).toEqual([]);
  });
});

describe('the brand a message renders with', () => {
  it("is the default with the tenant's values over it, key by key and name by name", () => {
    expect(resolveBrand(declared, { name: 'Acme', colors: { primary: '#f00' }, slogan: 'ignored' })).toEqual({
      name: 'Acme',
      postalAddress: '1 Example Street',
      colors: { primary: '#f00' },
    });
    expect(resolveBrand(declared, null)).toEqual(declared);
    expect(resolveBrand(undefined, { name: 'Acme' })).toBeNull();
  });

  it('names the keys a tenant may not set', () => {
    expect(undeclaredBrandKeys(declared, { name: 'A', slogan: 'x', colors: { primary: '#000', accent: '#111' } })).toEqual(['slogan', 'colors.accent']);
    expect(undeclaredBrandKeys(declared, { name: { nested: 'x' } })).toEqual(['name']);
  });
});
