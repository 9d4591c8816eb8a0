/**
 * Lowers templates and checks their content: the event exists, layouts and partials are composed in (resolved at
 * build time: templates/compose.ts), every Handlebars string parses and uses only known variables and helpers —
 * a layout's or partial's against the scope of each template that brings it in — and locale codes are real languages.
 */
import type { Brand, Bundle, Template } from '../bundle/schema.ts';
import { isKnownLocale, scopeForEvent } from '../templates/check.ts';
import { composeTemplate, type ComposeProblem, type CompositionParts } from '../templates/compose.ts';
import { positionInLiteral } from '../load/source.ts';
import type { LowerContext } from './context.ts';
import { uniqueById } from './catalog.ts';

/** `brand`: the settings' declared brand, whose keys `{{brand.…}}` may read (none: `brand` is no built-in). */
export async function lowerTemplates(ctx: LowerContext, events: Bundle['events'], parts: CompositionParts, brand?: Brand): Promise<Bundle['templates']> {
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
    const email = def.content.email;
    if (email && email.html === undefined && email.text === undefined && email.mjml === undefined) {
      ctx.report(
        'invalid-definition',
        ctx.where('template', def.id, file, ['email']),
        `the email of template "${def.id}" has neither html nor text`,
        'add html, text, or both (or mjml)',
      );
    }
    if (email?.html !== undefined && email.mjml !== undefined) {
      ctx.report(
        'invalid-definition',
        ctx.where('template', def.id, file, ['email', 'html']),
        `the email of template "${def.id}" has both html and mjml`,
        'keep one: the html is compiled from the mjml',
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
    const scope = scopeForEvent(event.schema, def.event, brand);
    const composed = await composeTemplate(def, parts, scope);
    for (const problem of composed.problems) reportComposition(ctx, def.id, file, problem);
    out[def.id] = {
      ...template,
      content: composed.content,
      locales: composed.locales,
      ...(composed.composedFrom ? { composedFrom: composed.composedFrom } : {}),
    };
  }
  return out;
}

/**
 * A composition problem at the literal that wrote it: the template's own field, or the layout's or partial's line,
 * naming the template that brought it in (each template that uses a partial checks it against its own scope).
 */
function reportComposition(ctx: LowerContext, templateId: string, file: string, problem: ComposeProblem): void {
  const { source } = problem;
  const ownFile = source.kind === 'template' ? file : (ctx.all(source.kind).find((d) => d.def.id === source.id)?.file ?? file);
  const call = ctx.locator.definition(source.kind, source.id, ownFile);
  const node = call && source.path.length ? ctx.locator.field(call, source.path) : call;
  const at = node ? positionInLiteral(node, problem.line, problem.column, ctx.locator.cwd) : ctx.where('template', templateId, file);
  const where = `${problem.field}${problem.locale === undefined ? '' : ` (${problem.locale})`}`;
  const message =
    source.kind === 'template'
      ? `template "${templateId}", ${where}: ${problem.message}`
      : `${source.kind} "${source.id}" (${source.path.join('.')}), brought in by template "${templateId}" (${problem.field}): ${problem.message}`;
  ctx.report(problem.code, at, message, problem.hint || undefined);
}
