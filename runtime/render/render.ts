/**
 * Renders one channel's content of a template for one recipient: picks the locale variant, merges it over
 * the default field by field, and renders every field. HTML (email.html) is escaped; every other field is
 * plain text and rendered verbatim. Missing values render as empty: the compiler already refused unknown
 * variables, and data that omits an optional field must not fail a send.
 */
import type { Channel, ChannelContent, Template } from '../../compiler/bundle/schema.ts';
import { mapJsonStrings } from '../../compiler/bundle/json-strings.ts';
import { compiledTemplate, type Compiled } from './compile.ts';
import { selectLocale } from './locale.ts';

export type RenderedContent<C extends Channel = Channel> = NonNullable<ChannelContent[C]>;

/** The recipient as templates see it (`{{user.email}}`, `{{user.traits.plan}}`); other keys are dropped. */
export interface RenderUser {
  id: string | null;
  email?: string | null;
  phone_number?: string | null;
  locale?: string | null;
  timezone?: string | null;
  traits?: Record<string, unknown>;
}

export interface RenderInput {
  /** The event's data: its fields are the template's top-level variables. */
  data: Record<string, unknown>;
  user: RenderUser;
  /** Overrides `user.locale` for choosing the variant. */
  locale?: string | null;
  /** Built-ins: `preferences_url`, `unsubscribe_url`, `message_id`, `run_id`, `digest: { count, items, omitted }`. */
  extra?: Record<string, unknown>;
}

/** A template cannot be rendered: no content for the channel, or a field failed at render time. Permanent. */
export class TemplateRenderError extends Error {
  override readonly name = 'TemplateRenderError';
  readonly templateId: string;
  readonly channel: Channel;
  readonly field?: string;
  readonly locale?: string;

  constructor(message: string, templateId: string, channel: Channel, field?: string, locale?: string) {
    super(message);
    this.templateId = templateId;
    this.channel = channel;
    this.field = field;
    this.locale = locale;
  }
}

// Bundles are immutable once loaded: a template object's compiled fields can hang off it directly,
// which skips hashing the source on the hot path. The keyed cache behind it serves re-loaded copies.
const byObject = new WeakMap<Template, Map<string, Compiled>>();

/**
 * @example
 * renderTemplate(welcome, 'sms', { data: { first_name: 'Ada' }, user: { id: 'u1', locale: 'fr-CA' } })
 * // { body: 'Salut Ada' } — from the `fr` variant, when there is no `fr-CA` one
 */
export function renderTemplate<C extends Channel>(template: Template, channel: C, input: RenderInput): RenderedContent<C> {
  const locale = selectLocale(template, input.locale ?? input.user.locale);
  const base = template.content[channel] as Record<string, unknown> | undefined;
  const variant = locale === undefined ? undefined : (template.locales[locale]?.[channel] as Record<string, unknown> | undefined);
  if (!base && !variant) {
    throw new TemplateRenderError(`template "${template.id}" has no ${channel} content`, template.id, channel);
  }
  const merged: Record<string, unknown> = { ...base, ...variant };
  const context = renderContext(input);
  const runtime = { data: { locale: locale ?? input.locale ?? input.user.locale ?? undefined } };
  const render = (field: string, source: string, fromVariant: boolean) => {
    const compiled = compiledField(template, channel, field, fromVariant ? (locale ?? '') : '', source);
    try {
      return compiled(context, runtime);
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      throw new TemplateRenderError(`template "${template.id}", ${channel}.${field}: ${why}`, template.id, channel, field, locale);
    }
  };
  const out: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(merged)) {
    if (channel === 'webhook' && field === 'body') {
      // A JSON body: every string in it is a template, rendered as text (JSON.stringify escapes it when sent).
      const fromVariant = variant !== undefined && field in variant;
      out[field] = mapJsonStrings(value, 'body', (path, source) => render(path, source, fromVariant));
    } else if (typeof value === 'string') out[field] = render(field, value, variant !== undefined && field in variant);
    else if (field === 'data' && value && typeof value === 'object') {
      // Push data merges key by key too, so a variant may translate one entry.
      const baseData = (base?.data ?? {}) as Record<string, string>;
      const variantData = (variant?.data ?? {}) as Record<string, string>;
      const data: Record<string, string> = {};
      for (const [key, source] of Object.entries({ ...baseData, ...variantData })) {
        data[key] = render(`data.${key}`, source, key in variantData);
      }
      out[field] = data;
    }
  }
  return out as RenderedContent<C>;
}

function compiledField(template: Template, channel: Channel, field: string, locale: string, source: string): Compiled {
  let fields = byObject.get(template);
  if (!fields) byObject.set(template, (fields = new Map()));
  const key = `${channel}.${field}\0${locale}`;
  let compiled = fields.get(key);
  if (!compiled) {
    const html = channel === 'email' && field === 'html';
    compiled = compiledTemplate({ templateId: template.id, field: `${channel}.${field}`, locale, html }, source);
    fields.set(key, compiled);
  }
  return compiled;
}

/** Data first, then `user`, then built-ins: the same precedence the compiler's scope assumes. */
function renderContext(input: RenderInput): Record<string, unknown> {
  const u = input.user;
  const user = {
    id: u.id,
    email: u.email ?? undefined,
    phone_number: u.phone_number ?? undefined,
    locale: u.locale ?? undefined,
    timezone: u.timezone ?? undefined,
    traits: u.traits ?? {},
  };
  return { ...input.data, user, ...input.extra };
}
