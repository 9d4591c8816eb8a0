/**
 * Renders a template's content for one channel: the locale variant (exact, then language, then default)
 * merged field by field over the default, Handlebars with Herald's helpers, HTML-escaped only in HTML
 * bodies. Compiled templates are cached by source, so rendering stays cheap at high throughput.
 */
import Handlebars from 'handlebars';
import type { Channel, ChannelContent, Template } from '../../compiler/bundle/schema.ts';
import { registerHelpers } from '../../compiler/templates/helpers.ts';

const hb = Handlebars.create();
registerHelpers(hb);

type Compiled = (context: unknown) => string;
const cache = new Map<string, Compiled>();
const MAX_CACHE = 5_000;

function compile(source: string, escape: boolean): Compiled {
  const key = `${escape ? 'h' : 't'}\0${source}`;
  let fn = cache.get(key);
  if (!fn) {
    if (cache.size >= MAX_CACHE) cache.clear();
    fn = hb.compile(source, { noEscape: !escape, strict: false });
    cache.set(key, fn);
  }
  return fn;
}

export interface RenderInput {
  data: Record<string, unknown>;
  user: Record<string, unknown>;
  locale?: string | null;
  /** Built-ins: preferences_url, unsubscribe_url, message_id, run_id, digest. */
  extra?: Record<string, unknown>;
}

export type RenderedContent = NonNullable<ChannelContent[Channel]>;

/** The variant for a locale: `pt-BR` → `pt-BR`, else `pt`, else none. */
export function pickLocale(template: Template, locale: string | null | undefined): string | null {
  if (!locale) return null;
  if (template.locales[locale]) return locale;
  const language = locale.split(/[-_]/)[0]!;
  return template.locales[language] ? language : null;
}

export function renderTemplate(template: Template, channel: Channel, input: RenderInput): RenderedContent {
  const base = template.content[channel];
  if (!base) throw new Error(`template "${template.id}" has no ${channel} content`);
  const variant = pickLocale(template, input.locale);
  const override = variant ? template.locales[variant]?.[channel] : undefined;
  const merged = { ...base, ...(override ?? {}) } as Record<string, unknown>;
  const context = { ...input.data, user: input.user, ...(input.extra ?? {}) };
  const out: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(merged)) {
    if (typeof value === 'string') out[field] = compile(value, channel === 'email' && field === 'html')(context);
    else if (value && typeof value === 'object') {
      out[field] = Object.fromEntries(Object.entries(value as Record<string, string>).map(([k, v]) => [k, compile(String(v), false)(context)]));
    }
  }
  return out as RenderedContent;
}
