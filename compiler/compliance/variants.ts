/**
 * A template's content as recipients get it: the default, and each locale variant merged field by field over it
 * (as runtime/render does). A locale is linted on the fields it overrides only, so a variant that changes the
 * subject alone is not blamed again for the default's body.
 */
import type { ChannelContent, Template } from '../bundle/schema.ts';

export interface Variant<C> {
  /** Undefined for the default content. */
  locale?: string;
  content: C;
  /** The fields this variant sets itself (all of them for the default). */
  own: ReadonlySet<string>;
}

export function variants<K extends keyof ChannelContent>(template: Template, channel: K): Variant<NonNullable<ChannelContent[K]>>[] {
  const base = template.content[channel];
  if (!base) return [];
  const out: Variant<NonNullable<ChannelContent[K]>>[] = [{ content: base, own: new Set(Object.keys(base)) }];
  for (const [locale, overrides] of Object.entries(template.locales).sort(([a], [b]) => a.localeCompare(b))) {
    const variant = overrides[channel];
    if (!variant) continue;
    out.push({ locale, content: { ...base, ...variant }, own: new Set(Object.keys(variant)) });
  }
  return out;
}

/** `template "x" (fr)`: how findings name the variant. */
export function variantName(template: string, locale: string | undefined): string {
  return locale === undefined ? `template "${template}"` : `template "${template}" (locale ${locale})`;
}
