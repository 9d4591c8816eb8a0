/**
 * `settings({ brand })` → `settings.brand`: the default brand's values, whose keys are the branding keys templates
 * may read (`{{brand.name}}`) and tenants may override at render time (runtime/tenants). Written only when set,
 * so bundles without a brand keep their bytes and version.
 */
import { brandSchema, type Brand } from '../bundle/schema.ts';
import type { LowerContext, Located } from './context.ts';

/** The brand as declared, or undefined when none is (or it is not valid: reported at its field). */
export function lowerBrand(ctx: LowerContext, settings: Located<{ brand?: unknown }> | undefined): Brand | undefined {
  if (settings?.def.brand === undefined) return undefined;
  const parsed = brandSchema.safeParse(settings.def.brand);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path.map(String);
    ctx.report(
      'invalid-definition',
      ctx.where('settings', '', settings.file, ['brand', ...path.slice(0, 1)]),
      `settings brand${path.length ? `.${path.join('.')}` : ''} is not a text or an object of texts`,
      "brand values are texts (name: 'Acme') or one level of named texts (colors: { primary: '#0a66c2' })",
    );
    return undefined;
  }
  const empty = Object.keys(parsed.data).find((key) => key.trim() === '' || key.includes('.'));
  if (empty !== undefined) {
    ctx.report(
      'invalid-definition',
      ctx.where('settings', '', settings.file, ['brand']),
      `settings brand has a key "${empty}" that a template cannot read`,
      'name brand keys like variables: name, logoUrl, postalAddress',
    );
    return undefined;
  }
  return parsed.data;
}
