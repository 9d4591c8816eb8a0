/**
 * The compiler's entry points for templates: check one Handlebars string against a scope, or every field
 * of every channel and locale variant of a template against its event's schema.
 */
import type { Brand, Channel, Template } from '../bundle/schema.ts';
import { jsonStrings } from '../bundle/json-strings.ts';
import { analyze, type VariableUse } from './analyze.ts';
import { parseTemplate } from './parse.ts';
import type { TemplateProblem } from './problem.ts';
import { scopeForEvent, type VariableScope } from './scope.ts';

export type { TemplateProblem } from './problem.ts';
export type { VariableScope } from './scope.ts';
export type { VariableUse } from './analyze.ts';
export { scopeForEvent } from './scope.ts';
export { isKnownLocale } from './locale.ts';

/**
 * Parses `source` (never compiles it) and reports syntax errors, unknown variables and unknown helpers.
 *
 * @example
 * checkTemplateString('Hi {{frist_name}}', scopeForEvent(schema, 'trial_started'))
 * // [{ code: 'template-unknown-variable', line: 1, column: 6, variable: 'frist_name',
 * //    message: 'unknown variable "frist_name": not a field of event "trial_started", nor of the user profile',
 * //    hint: 'did you mean "first_name"?' }]
 */
export function checkTemplateString(source: string, scope: VariableScope): TemplateProblem[] {
  const parsed = parseTemplate(source);
  if (!parsed.ok) return [parsed.problem];
  return analyze(parsed.ast, scope).problems;
}

/** Every variable `source` reads, with its position and whether the scope knows it; [] when it does not parse. */
export function templateVariables(source: string, scope: VariableScope): VariableUse[] {
  const parsed = parseTemplate(source);
  return parsed.ok ? analyze(parsed.ast, scope).uses : [];
}

export interface TemplateFieldProblems {
  channel: Channel;
  /** `subject`, `html`, `body`, … ; for push data, `data.<key>`. */
  field: string;
  /** Set for a locale variant's field. */
  locale?: string;
  problems: TemplateProblem[];
}

/**
 * Every string field of a channel's content, with its name (push `data` values as `data.<key>`; each string of
 * a webhook's JSON body as `body.<path>`).
 */
export function templateFields(content: Template['content']): { channel: Channel; field: string; source: string }[] {
  const out: { channel: Channel; field: string; source: string }[] = [];
  for (const [channel, fields] of Object.entries(content) as [Channel, Record<string, unknown> | undefined][]) {
    for (const [field, value] of Object.entries(fields ?? {})) {
      if (channel === 'webhook' && field === 'body') for (const found of jsonStrings(value, field)) out.push({ channel, ...found });
      else if (typeof value === 'string') out.push({ channel, field, source: value });
      else if (field === 'data' && value && typeof value === 'object') {
        for (const [key, v] of Object.entries(value)) if (typeof v === 'string') out.push({ channel, field: `data.${key}`, source: v });
      }
    }
  }
  return out;
}

/**
 * Checks every field of every channel of a template and of each locale variant against its event's JSON
 * Schema (and the declared brand's keys, for `{{brand.…}}`). Returns only the fields that have problems (an empty list means the template is fine).
 */
export function checkTemplate(template: Template, eventSchema: Record<string, unknown>, brand?: Brand): TemplateFieldProblems[] {
  const scope = scopeForEvent(eventSchema, template.event, brand);
  const out: TemplateFieldProblems[] = [];
  const checkContent = (content: Template['content'], locale?: string) => {
    for (const { channel, field, source } of templateFields(content)) {
      const problems = checkTemplateString(source, scope);
      if (problems.length) out.push({ channel, field, ...(locale === undefined ? {} : { locale }), problems });
    }
  };
  checkContent(template.content);
  for (const [locale, content] of Object.entries(template.locales)) checkContent(content, locale);
  return out;
}
