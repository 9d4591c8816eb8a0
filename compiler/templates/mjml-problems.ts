/**
 * MJML's validation errors turned into problems an author can act on: a line and column within the MJML
 * source, the message, and a hint. An attribute whose value is a Handlebars expression
 * (`color="{{brand.colors.primary}}"`) cannot be checked before the value is known at send time, so MJML's
 * complaint about its type is not a problem.
 */

/** One of mjml-validator's errors, as mjml2html returns them. */
export interface MjmlError {
  line?: number;
  message?: string;
  tagName?: string;
}

export interface MjmlProblem {
  line: number;
  column: number;
  message: string;
  hint: string;
}

export function problemsOf(errors: readonly MjmlError[], source: string): MjmlProblem[] {
  const lines = source.split('\n');
  return errors
    .filter((error) => !/has invalid value: .*\{\{/.test(error.message ?? ''))
    .map((error) => {
      const message = (error.message ?? 'invalid MJML').trim();
      const line = typeof error.line === 'number' && error.line >= 1 ? error.line : 1;
      return { line, column: columnOf(lines[line - 1], error.tagName), message, hint: hintFor(message) };
    });
}

/** MJML names only the line; the element's opening tag on that line gives the column. */
function columnOf(text: string | undefined, tagName: string | undefined): number {
  if (text === undefined || tagName === undefined) return 1;
  const at = text.indexOf(`<${tagName}`);
  return at >= 0 ? at + 1 : 1;
}

const HINTS: [RegExp, string][] = [
  [/doesn't exist or is not registered/, "check the spelling; MJML's standard elements are listed at https://documentation.mjml.io"],
  [/cannot be used inside/, 'move the element into one of the parents MJML names, e.g. mj-text inside an mj-column'],
  [/Attribute .* is illegal/, "remove the attribute or check its spelling against the element's documentation"],
  [/has invalid value/, 'give a value of the type MJML names (a colour such as #1a73e8, a size such as 10px)'],
];

function hintFor(message: string): string {
  return HINTS.find(([pattern]) => pattern.test(message))?.[1] ?? 'see https://documentation.mjml.io for the element';
}
