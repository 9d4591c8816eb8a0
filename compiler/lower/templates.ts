/**
 * Lowers templates and checks their content: the event exists, every Handlebars string parses and uses only
 * known variables and helpers, locale codes are real languages.
 */
import type { Brand, Bundle, Template } from '../bundle/schema.ts';
import { checkTemplate, isKnownLocale } from '../templates/check.ts';
import { positionInLiteral } from '../load/source.ts';
import type { LowerContext } from './context.ts';
import { uniqueById } from './catalog.ts';

/** `brand`: the settings' declared brand, whose keys `{{brand.…}}` may read (none: `brand` is no built-in). */
export function lowerTemplates(ctx: LowerContext, events: Bundle['events'], brand?: Brand): Bundle['templates'] {
  const out: Bundle['templates'] = {};
  for (const { def, file } of uniqueById(ctx, 'template', ctx.all('template'), (d) => d.id)) {
    const template: Template = { id: def.id, event: def.event, content: { ...def.content }, locales: { ...def.locales } };
    out[def.id] = template;
    const event = events[def.event];
    if (!event) {
      if (!ctx.all('event').some((e) => e.def.name === def.event)) {
        ctx.report(
          'unknown-reference',
          ctx.where('template', def.id, file, ['data']),
          `template "${def.id}" renders unknown event "${def.event}"`,
          ctx.suggest(def.event, Object.keys(events), 'event'),
        );
      }
      continue;
    }
    if (template.content.email && template.content.email.html === undefined && template.content.email.text === undefined) {
      ctx.report(
        'invalid-definition',
        ctx.where('template', def.id, file, ['email']),
        `the email of template "${def.id}" has neither html nor text`,
        'add html, text, or both',
      );
    }
    if (Object.keys(template.content).length === 0) {
      ctx.report(
        'invalid-definition',
        ctx.where('template', def.id, file),
        `template "${def.id}" has no content for any channel`,
        'add email, sms, push or inapp content',
      );
    }
    for (const locale of Object.keys(template.locales)) {
      if (!isKnownLocale(locale)) {
        ctx.report(
          'unknown-locale',
          ctx.where('template', def.id, file, ['locales', locale]),
          `template "${def.id}" has a variant for unknown locale "${locale}"`,
          'use a BCP 47 code of a real language, e.g. "fr", "pt-BR", "de-CH"',
        );
      }
      for (const channel of Object.keys(template.locales[locale] ?? {})) {
        if (!(channel in template.content)) {
          ctx.report(
            'missing-channel-content',
            ctx.where('template', def.id, file, ['locales', locale, channel]),
            `the "${locale}" variant of template "${def.id}" overrides ${channel}, which has no default content`,
            `add ${channel} content to the template itself, or remove it from the variant`,
          );
        }
      }
    }
    for (const group of checkTemplate(template, event.schema, brand)) {
      const path = [...(group.locale === undefined ? [] : ['locales', group.locale]), group.channel, ...group.field.split('.')];
      const call = ctx.locator.definition('template', def.id, file);
      const node = call ? ctx.locator.field(call, path) : undefined;
      for (const problem of group.problems) {
        const at = node ? positionInLiteral(node, problem.line, problem.column, ctx.locator.cwd) : ctx.where('template', def.id, file);
        const where = `${group.channel}.${group.field}${group.locale === undefined ? '' : ` (${group.locale})`}`;
        ctx.report(problem.code, at, `template "${def.id}", ${where}: ${problem.message}`, problem.hint);
      }
    }
  }
  return out;
}
