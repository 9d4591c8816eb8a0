/**
 * Parses a template string with Handlebars (never compiles it) and turns a syntax error into a problem
 * with a 1-based line and column inside the string and a plain-words message.
 */
import Handlebars from 'handlebars';
import type { TemplateProblem } from './problem.ts';

export type ParseResult = { ok: true; ast: hbs.AST.Program } | { ok: false; problem: TemplateProblem };

/** The jison lexer's last location; read right after a failed parse (parsing is synchronous). */
interface LexerState {
  yylloc?: { first_line?: number; first_column?: number };
}

const TOKEN_WORDS: Record<string, string> = {
  EOF: 'the end of the template',
  CLOSE: '"}}"',
  CLOSE_UNESCAPED: '"}}}"',
  CLOSE_SEXPR: '")"',
  OPEN_SEXPR: '"("',
  OPEN_ENDBLOCK: 'a closing tag "{{/…}}"',
  INVERSE: '"{{else}}"',
  OPEN_INVERSE_CHAIN: '"{{else …}}"',
  INVALID: 'an unexpected character',
  EQUALS: '"="',
  ID: 'a name',
  SEP: '"."',
};

export function parseTemplate(source: string): ParseResult {
  try {
    return { ok: true, ast: Handlebars.parse(source) };
  } catch (error) {
    return { ok: false, problem: parseProblem(error) };
  }
}

function parseProblem(error: unknown): TemplateProblem {
  const e = error as { message?: unknown; lineNumber?: unknown; column?: unknown };
  const raw = typeof e.message === 'string' ? e.message : String(error);
  // Handlebars' own exceptions (mismatched block names) carry lineNumber and a 0-based column.
  if (typeof e.lineNumber === 'number' && typeof e.column === 'number') {
    const mismatch = /^(\S+) doesn't match (\S+)/.exec(raw);
    const message = mismatch ? `{{#${mismatch[1]}}} is closed by {{/${mismatch[2]}}}` : raw.replace(/ - \d+:\d+$/, '');
    const hint = mismatch ? `close the block with {{/${mismatch[1]}}}` : undefined;
    return problem(message, e.lineNumber, e.column + 1, hint);
  }
  const lexer = (Handlebars as unknown as { Parser?: { lexer?: LexerState } }).Parser?.lexer;
  const stated = Number(/on line (\d+)/.exec(raw)?.[1] ?? 1);
  const loc = lexer?.yylloc;
  const at = loc?.first_line === stated && typeof loc.first_column === 'number' ? loc.first_column + 1 : 1;
  const { message, hint } = explain(raw);
  return problem(message, stated, at, hint);
}

/** Turns jison's "Expecting 'CLOSE', got 'EOF'" into words a template author can act on. */
function explain(raw: string): { message: string; hint?: string } {
  if (raw.startsWith('Lexical error')) {
    return { message: 'unreadable Handlebars tag', hint: 'check that every "{{" has a matching "}}" and comments are written {{!-- … --}}' };
  }
  const got = /got '([A-Z_]+)'/.exec(raw)?.[1];
  const expecting = [...raw.matchAll(/'([A-Z_]+)'/g)].map((m) => m[1]!).filter((t) => t !== got);
  const found = got ? (TOKEN_WORDS[got] ?? got.toLowerCase()) : 'something unexpected';
  if (got === 'EOF' && expecting.includes('OPEN_ENDBLOCK')) {
    return { message: 'a block is never closed', hint: 'add the closing tag, e.g. {{/if}} or {{/each}}' };
  }
  if (got === 'OPEN_ENDBLOCK') return { message: 'a closing tag has no opening block', hint: 'remove it, or open the block with {{#if …}} / {{#each …}}' };
  if (got === 'INVERSE')
    return { message: '"{{else}}" is outside a block, or used twice', hint: 'an {{else}} belongs inside {{#if}}…{{/if}} or {{#each}}…{{/each}}, once' };
  const wanted = expecting
    .filter((t) => t in TOKEN_WORDS && t !== 'INVALID')
    .slice(0, 3)
    .map((t) => TOKEN_WORDS[t]);
  const message = `syntax error: found ${found}${wanted.length ? `, expected ${wanted.join(' or ')}` : ''}`;
  const hint = expecting.includes('CLOSE') ? 'close the tag with "}}"' : undefined;
  return hint ? { message, hint } : { message };
}

function problem(message: string, line: number, column: number, hint: string | undefined): TemplateProblem {
  return { code: 'template-parse', message, line, column, ...(hint ? { hint } : {}) };
}
