/**
 * An email body written in MJML, compiled at build time into the table-based, inlined HTML that email
 * clients need; the bundle carries only that HTML, so the runtime never loads MJML. The source is a
 * Handlebars template: tags in text, hrefs and attributes pass through MJML untouched, and block tags
 * written between elements (`{{#if}}` around a section) are carried through as `<mj-raw>`, which MJML
 * would otherwise drop.
 */
import { placeBlockTags } from './mjml-blocks.ts';
import { problemsOf, type MjmlError, type MjmlProblem } from './mjml-problems.ts';

export type { MjmlProblem } from './mjml-problems.ts';

export interface MjmlResult {
  /** The compiled HTML; '' when there are problems (nothing half-rendered reaches a bundle). */
  html: string;
  /** Line and column are 1-based, within `source`. */
  problems: MjmlProblem[];
}

type Mjml2Html = (
  source: string,
  options: { validationLevel: 'soft'; ignoreIncludes: true; keepComments: false; fonts: Record<string, string> },
) => Promise<{ html: string; errors: MjmlError[] }>;

let loaded: Promise<Mjml2Html> | undefined;

/** MJML takes over a second to import: loaded on the first MJML email, so a project without one never pays. */
function mjml(): Promise<Mjml2Html> {
  loaded ??= import('mjml').then((module) => module.default as unknown as Mjml2Html);
  return loaded;
}

/**
 * @example
 * const { html, problems } = await compileMjml('<mjml><mj-body><mj-section><mj-column>' +
 *   '<mj-text>Hi {{first_name}}</mj-text></mj-column></mj-section></mj-body></mjml>');
 */
export async function compileMjml(source: string): Promise<MjmlResult> {
  const render = await mjml();
  let result: { html: string; errors: MjmlError[] };
  try {
    // 'soft' so that every error comes back at once, with its line; problemsOf decides which are real.
    // mj-include would read files outside the notifications folder: a build reads only its sources.
    // No web fonts by default: MJML would link Google Fonts into every email (a request to a third party each time
    // one is opened); an email that wants one says so with <mj-font>.
    result = await render(placeBlockTags(source), { validationLevel: 'soft', ignoreIncludes: true, keepComments: false, fonts: {} });
  } catch (error) {
    return { html: '', problems: [notADocument(error)] };
  }
  const problems = problemsOf(result.errors, source);
  return problems.length > 0 ? { html: '', problems } : { html: stableIds(result.html, source), problems };
}

function notADocument(error: unknown): MjmlProblem {
  const said = error instanceof Error ? error.message : String(error);
  return {
    line: 1,
    column: 1,
    message: `MJML cannot read this body: ${said.split('\n')[0]?.trim() || 'unknown error'}`,
    hint: 'write a whole MJML document: <mjml><mj-body><mj-section><mj-column>…</mj-column></mj-section></mj-body></mjml>',
  };
}

/**
 * mj-carousel and mj-navbar name their parts with random 16-hex ids; a bundle must be byte-identical for the
 * same sources, so each id MJML invented (one not in the source) is renamed by order of first appearance.
 */
function stableIds(html: string, source: string): string {
  const renamed = new Map<string, string>();
  return html.replace(/(?<![0-9a-f])[0-9a-f]{16}(?![0-9a-f])/g, (id) => {
    if (source.includes(id)) return id;
    let stable = renamed.get(id);
    if (stable === undefined) {
      stable = (renamed.size + 1).toString(16).padStart(16, '0');
      renamed.set(id, stable);
    }
    return stable;
  });
}
