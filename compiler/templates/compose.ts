/**
 * One template's content composed at build time, so the bundle carries it resolved and the runtime needs nothing
 * new: partials expanded in every string, an MJML email compiled to HTML, the email's html and text wrapped in its
 * layout (`{{{content}}}`), a missing text generated from the html. Every string a person wrote is then checked
 * against the template's scope, and each problem is traced back to the literal (template, layout or partial)
 * that wrote it.
 */
import { createHash } from 'node:crypto';
import type { ChannelContent, CompositionPart, Template } from '../bundle/schema.ts';
import { mapJsonStrings } from '../bundle/json-strings.ts';
import type { AuthoredEmail, TemplateContent } from '../dsl/definitions.ts';
import { checkTemplateString, type VariableScope } from './check.ts';
import { compileMjml } from './mjml.ts';
import { expandPartials, type CompositionProblem, type Medium, type PartialSource } from './partials.ts';
import { plainTextOf } from './plain-text.ts';
import { originAt, splice, textOf, tracedOf, type TextSource, type Traced } from './traced.ts';

export type { CompositionProblem, PartialSource } from './partials.ts';

/** The marker a layout's html and text put where the template's body goes. */
const CONTENT_MARKER = /\{\{\{\s*content\s*\}\}\}/g;

export interface LayoutSource {
  id: string;
  html: string;
  text?: string;
  /** The event its templates must render, when set. */
  event?: string;
}

/** A template as written: its email may be MJML (`email.mjml`), its layout named, `false`, or left to the default. */
export interface TemplateSource {
  id: string;
  event: string;
  content: TemplateContent;
  locales: Readonly<Record<string, Partial<TemplateContent>>>;
  layout?: string | false;
}

export interface CompositionParts {
  layouts: ReadonlyMap<string, LayoutSource>;
  partials: ReadonlyMap<string, PartialSource>;
  /** `settings({ layouts: { email } })`. */
  defaultLayout?: string;
}

/** A problem with what the template brings in: `field` is the template's field (`email.html`), `locale` its variant. */
export interface ComposeProblem extends CompositionProblem {
  field: string;
  locale?: string;
}

export interface Composed {
  content: Template['content'];
  locales: Template['locales'];
  composedFrom?: NonNullable<Template['composedFrom']>;
  problems: ComposeProblem[];
}

export async function composeTemplate(template: TemplateSource, parts: CompositionParts, scope: VariableScope): Promise<Composed> {
  const problems: ComposeProblem[] = [];
  const used = new Set<string>();
  const layout = chooseLayout(template, parts, problems);

  const composeContent = async (authored: Partial<TemplateContent>, locale?: string, generateText = true): Promise<Partial<ChannelContent>> => {
    const base: TextSource['path'] = locale === undefined ? [] : ['locales', locale];
    const report = (field: string, list: CompositionProblem[]) => {
      for (const p of list) problems.push({ ...p, field, ...(locale === undefined ? {} : { locale }) });
    };
    /** Expands, optionally wraps, checks; the composed string. */
    const compose = (field: string, text: string, medium: Medium, frame?: string): string => {
      const path = [...base, ...field.split('.')];
      const expanded = expandPartials(tracedOf({ kind: 'template', id: template.id, path, text }), medium, parts.partials);
      for (const id of expanded.used) used.add(id);
      report(field, expanded.problems);
      let traced = expanded.traced;
      if (layout && frame !== undefined) {
        const wrapped = wrapIn(layout, frame as 'html' | 'text', traced, parts.partials);
        for (const id of wrapped.used) used.add(id);
        report(field, wrapped.problems);
        traced = wrapped.traced;
      }
      report(field, checkTraced(traced, scope));
      return textOf(traced);
    };

    /** An MJML body: partials expanded (their html), checked as written, compiled; MJML's errors traced like the rest. */
    const composeMjml = async (mjml: string): Promise<string> => {
      const expanded = expandPartials(tracedOf({ kind: 'template', id: template.id, path: [...base, 'email', 'mjml'], text: mjml }), 'html', parts.partials);
      for (const id of expanded.used) used.add(id);
      report('email.mjml', expanded.problems);
      report('email.mjml', checkTraced(expanded.traced, scope));
      const compiled = await compileMjml(textOf(expanded.traced));
      for (const p of compiled.problems) {
        const origin = originAt(expanded.traced, p.line, p.column);
        if (origin) report('email.mjml', [{ code: 'mjml-error', ...origin, message: `MJML: ${p.message}`, hint: p.hint }]);
      }
      return compiled.html;
    };

    // Null-prototype: channel and field names come from the author's objects.
    const out: Partial<ChannelContent> = Object.create(null);
    for (const [channel, fields] of Object.entries(authored) as [keyof ChannelContent, Record<string, unknown> | undefined][]) {
      if (!fields) continue;
      if (channel === 'email') {
        // A locale variant may override only some of the email's fields: merged over the default's by the runtime.
        out.email = (await composeEmail(fields as Partial<AuthoredEmail>, compose, composeMjml, generateText)) as Email;
        continue;
      }
      const composed: Record<string, unknown> = Object.create(null);
      for (const [field, value] of Object.entries(fields)) {
        if (typeof value === 'string') composed[field] = compose(`${channel}.${field}`, value, 'text');
        else if (field === 'data' && value && typeof value === 'object') {
          composed[field] = Object.fromEntries(
            Object.entries(value).map(([key, v]) => [key, typeof v === 'string' ? compose(`${channel}.data.${key}`, v, 'text') : v]),
          );
        } else if (channel === 'webhook' && field === 'body') composed[field] = mapJsonStrings(value, 'webhook.body', (f, text) => compose(f, text, 'text'));
        else composed[field] = value;
      }
      (out as Record<string, unknown>)[channel] = composed;
    }
    return out;
  };

  const content = (await composeContent(template.content)) as ChannelContent;
  // A variant's new html gets a text of its own when the default's text was generated too (not one in another language).
  const generatedText = template.content.email !== undefined && template.content.email.text === undefined;
  const locales: Template['locales'] = Object.create(null);
  for (const [locale, variant] of Object.entries(template.locales)) locales[locale] = await composeContent(variant, locale, generatedText);

  const partials = [...used].sort().map((id) => part(id, parts.partials.get(id)!));
  const composedFrom = {
    ...(layout ? { layout: part(layout.id, layout) } : {}),
    ...(partials.length ? { partials } : {}),
  };
  return { content, locales, ...(layout || partials.length ? { composedFrom } : {}), problems };
}

type Email = NonNullable<ChannelContent['email']>;
type Compose = (field: string, text: string, medium: Medium, frame?: 'html' | 'text') => string;

async function composeEmail(
  email: Partial<AuthoredEmail>,
  compose: Compose,
  compileMjmlBody: (mjml: string) => Promise<string>,
  generateText: boolean,
): Promise<Partial<Email>> {
  const out: Partial<Email> = Object.create(null);
  if (email.subject !== undefined) out.subject = compose('email.subject', email.subject, 'text');
  // An MJML email is a whole document: it takes no layout (see chooseLayout).
  if (email.mjml !== undefined) out.html = await compileMjmlBody(email.mjml);
  else if (email.html !== undefined) out.html = compose('email.html', email.html, 'html', 'html');
  if (email.text !== undefined) out.text = compose('email.text', email.text, 'text', 'text');
  else if (out.html && generateText) out.text = plainTextOf(out.html);
  return out;
}

/** The template's own layout, else the default; none for `layout: false` or an MJML email. */
function chooseLayout(template: TemplateSource, parts: CompositionParts, problems: ComposeProblem[]): LayoutSource | undefined {
  const at = (path: string[]) => ({ source: { kind: 'template' as const, id: template.id, path, text: '' }, line: 1, column: 1, field: path.join('.') });
  if (typeof template.layout === 'string' && !template.content.email) {
    problems.push({
      ...at(['layout']),
      code: 'invalid-definition',
      message: `template "${template.id}" names layout "${template.layout}" but has no email, the one channel that takes layouts`,
      hint: 'remove the layout, or add email content; other channels share text through partials ({{> name}})',
    });
  }
  if (template.layout === false || !template.content.email) return undefined;
  const mjml = template.content.email.mjml !== undefined;
  if (mjml) {
    if (template.layout !== undefined) {
      problems.push({
        ...at(['layout']),
        code: 'invalid-definition',
        message: `template "${template.id}" is written in MJML, a whole email document, and cannot take layout "${template.layout}"`,
        hint: 'remove the layout (partials still work inside MJML: {{> name}})',
      });
    }
    return undefined;
  }
  const id = template.layout ?? parts.defaultLayout;
  if (id === undefined) return undefined;
  const layout = parts.layouts.get(id);
  if (!layout) {
    problems.push({
      ...at(['layout']),
      code: 'unknown-reference',
      message: `template "${template.id}" names unknown layout "${id}"`,
      hint: 'export the layout() it names',
    });
    return undefined;
  }
  if (layout.event !== undefined && layout.event !== template.event) {
    problems.push({
      ...at(template.layout === undefined ? ['data'] : ['layout']),
      code: 'template-event-mismatch',
      message: `layout "${layout.id}" is written for event "${layout.event}", and template "${template.id}" renders "${template.event}"`,
      hint: `use another layout for this template (layout: …), or drop the layout's data to make it fit every event`,
    });
    return undefined;
  }
  return layout;
}

/**
 * A layout's html or text with its partials expanded, and its `{{{content}}}` markers there: the one count of the
 * marker rule (exactly one, a partial's included), which lower/layouts.ts reports and wrapIn follows.
 */
export function expandLayout(id: string, frame: 'html' | 'text', source: string, partials: ReadonlyMap<string, PartialSource>) {
  const expanded = expandPartials(tracedOf({ kind: 'layout', id, path: [frame], text: source }), frame, partials);
  return { expanded, markers: [...textOf(expanded.traced).matchAll(CONTENT_MARKER)] };
}

/** The layout's html or text (its partials expanded) with `body` where `{{{content}}}` is. */
function wrapIn(layout: LayoutSource, frame: 'html' | 'text', body: Traced, partials: ReadonlyMap<string, PartialSource>) {
  const source = layout[frame];
  if (source === undefined) return { traced: body, used: new Set<string>(), problems: [] };
  const { expanded, markers } = expandLayout(layout.id, frame, source, partials);
  // Not exactly one: lower/layouts.ts reported it on the layout, and the build fails there.
  if (markers.length !== 1) return { traced: body, used: expanded.used, problems: [] };
  const [marker] = markers as [RegExpExecArray];
  return { traced: splice(expanded.traced, marker.index, marker.index + marker[0].length, body), used: expanded.used, problems: expanded.problems };
}

/** The template checks on a composed string, each problem at the character of the source that wrote it. */
function checkTraced(traced: Traced, scope: VariableScope): CompositionProblem[] {
  const out: CompositionProblem[] = [];
  for (const problem of checkTemplateString(textOf(traced), scope)) {
    const origin = originAt(traced, problem.line, problem.column);
    if (origin) out.push({ ...origin, code: problem.code, message: problem.message, hint: problem.hint ?? '' });
  }
  return out;
}

function part(id: string, source: { html?: string; text?: string }): CompositionPart {
  const digest = createHash('sha256')
    .update(JSON.stringify([source.html ?? null, source.text ?? null]))
    .digest('hex')
    .slice(0, 16);
  return { id, digest };
}
