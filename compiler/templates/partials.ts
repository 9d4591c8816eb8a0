/**
 * Expands `{{> name}}` with the named partial's content (its `html` in an email's html, its `text` everywhere
 * else), partials inside partials included, at build time. Other partial forms (`{{> (expr)}}`, `{{#> name}}`,
 * parameters) are left in place for the template check, which refuses them.
 */
import type { DiagnosticCode } from '../diagnostics/codes.ts';
import { closest } from './closest.ts';
import { originOfIndex, splice, textOf, tracedOf, type Origin, type Traced } from './traced.ts';

export type Medium = 'html' | 'text';

export interface PartialSource {
  id: string;
  html?: string;
  text?: string;
}

/** A problem of composition, at a character of one of the sources. */
export interface CompositionProblem extends Origin {
  code: DiagnosticCode;
  message: string;
  hint: string;
}

export interface Expansion {
  traced: Traced;
  /** Every partial expanded, nested ones included. */
  used: Set<string>;
  problems: CompositionProblem[];
}

const PARTIAL_TAG = /\{\{>\s*([^\s{}()~=]+)\s*\}\}/g;

export function expandPartials(traced: Traced, medium: Medium, partials: ReadonlyMap<string, PartialSource>, chain: readonly string[] = []): Expansion {
  const used = new Set<string>();
  const problems: CompositionProblem[] = [];
  const text = textOf(traced);
  let out = traced;
  // From the last tag to the first, so the earlier tags' offsets stay valid.
  for (const match of [...text.matchAll(PARTIAL_TAG)].reverse()) {
    const name = match[1]!;
    const start = match.index;
    const end = start + match[0].length;
    const at = originOfIndex(traced, start)!;
    const partial = partials.get(name);
    let insert: Traced = [];
    if (!partial) {
      problems.push({ code: 'unknown-reference', ...at, message: `unknown partial "${name}"`, hint: suggest(name, [...partials.keys()]) });
    } else if (chain.includes(name)) {
      const cycle = [...chain.slice(chain.indexOf(name)), name].join(' → ');
      problems.push({
        code: 'circular-partial',
        ...at,
        message: `partials include each other in a circle: ${cycle}`,
        hint: `remove {{> ${name}}} from one of them`,
      });
    } else {
      const content = partial[medium];
      used.add(name);
      if (content === undefined) {
        const other = medium === 'html' ? 'text' : 'html';
        problems.push({
          code: 'invalid-definition',
          ...at,
          message: `partial "${name}" has no ${medium}, and is used in ${medium === 'html' ? 'an email html body' : 'a text (email text or subject, SMS, push, in-app)'}`,
          hint: `give partial "${name}" a ${medium} (it has only ${other})`,
        });
      } else {
        const inner = expandPartials(tracedOf({ kind: 'partial', id: name, path: [medium], text: content }), medium, partials, [...chain, name]);
        for (const id of inner.used) used.add(id);
        problems.push(...inner.problems);
        insert = inner.traced;
      }
    }
    out = splice(out, start, end, insert);
  }
  return { traced: out, used, problems: problems.reverse() };
}

function suggest(name: string, known: string[]): string {
  const best = closest(name, known);
  if (best) return `did you mean "${best}"?`;
  return known.length ? `known partials: ${known.sort().join(', ')}` : "no partial is defined: define one with partial('…', { html, text }) and export it";
}
