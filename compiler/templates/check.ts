/**
 * Compile-time checks of Handlebars templates: each string parses, and every variable and helper it uses
 * exists — in the event's data, the user profile, or the built-ins — with "did you mean" for typos.
 * Templates are parsed, never compiled or run, here.
 */
import Handlebars from 'handlebars';
import type { Template } from '../bundle/schema.ts';
import { closest } from './closest.ts';
import { ALL_HELPERS } from './helpers.ts';
import { scopeForEvent, type VariableScope } from './scope.ts';
import { ANY, describeShape, type Shape } from './shape.ts';

export interface TemplateProblem {
  code: 'template-parse' | 'template-unknown-variable' | 'template-unknown-helper';
  message: string;
  hint?: string;
  /** 1-based, within the template string. */
  line: number;
  column: number;
  variable?: string;
}

type Node = hbs.AST.Node;
type Expr = hbs.AST.Expression;

/** The shapes that bare paths resolve against: innermost block context first, root last. */
interface Frame {
  shape: Shape;
}

function parseError(error: Error): TemplateProblem {
  // Handlebars' parser errors carry `hash.loc` (0-based columns) and a message ending "Expecting …, got 'X'".
  const e = error as Error & { hash?: { loc?: { first_line: number; first_column: number; last_line: number; last_column: number }; token?: string } };
  const loc = e.hash?.loc;
  const fromMessage = /line (\d+)/.exec(error.message);
  const line = loc?.last_line ?? (fromMessage ? Number(fromMessage[1]) : 1);
  const column = (loc?.last_column ?? 0) + 1;
  const lines = error.message.split('\n');
  const last = lines[lines.length - 1] ?? '';
  const atEnd = e.hash?.token === 'EOF' || /got 'EOF'/.test(last);
  const message = atEnd
    ? 'the template ends inside an open block'
    : /^Expecting/.test(last)
      ? `unexpected ${e.hash?.token ? `'${e.hash.token}'` : 'token'} (${last.replace(/^Expecting /, 'expected ')})`
      : (lines[0] ?? error.message).replace(/ - \d+:\d+$/, '');
  return {
    code: 'template-parse',
    message: `the template does not parse: ${message}`,
    hint: atEnd ? 'close every {{#if}}, {{#each}} and {{#with}} with its {{/if}}, {{/each}}, {{/with}}' : 'check the {{ }} pairs and block tags on that line',
    line,
    column: Math.max(1, column),
  };
}

function fieldOf(shape: Shape, key: string): Shape | undefined {
  if (shape.kind === 'any') return ANY;
  if (shape.kind === 'object') return shape.fields.get(key) ?? shape.rest;
  if (shape.kind === 'array' && /^\d+$/.test(key)) return shape.items;
  if (shape.kind === 'array' && key === 'length') return { kind: 'scalar', type: 'number' };
  return undefined;
}

function keysOf(shape: Shape): string[] {
  return shape.kind === 'object' ? [...shape.fields.keys()] : [];
}

class Checker {
  readonly problems: TemplateProblem[] = [];
  constructor(readonly scope: VariableScope) {}

  private at(node: Node) {
    return { line: node.loc?.start.line ?? 1, column: (node.loc?.start.column ?? 0) + 1 };
  }

  /** Resolves a path against the frames; reports an unknown variable; returns its shape. */
  path(node: hbs.AST.PathExpression, frames: Frame[]): Shape {
    if (node.data) return ANY; // @index, @key, @first, @root… are Handlebars' own.
    const depth = node.depth ?? 0;
    const frame = frames[Math.max(0, frames.length - 1 - depth)]!;
    const parts = node.parts;
    if (parts.length === 0) return frame.shape; // `this` or `.`
    let shape: Shape = frame.shape;
    for (let i = 0; i < parts.length; i++) {
      const next = fieldOf(shape, parts[i]!);
      if (next) {
        shape = next;
        continue;
      }
      this.unknown(node, parts, i, shape, frames.length > 1 && depth === 0);
      return ANY;
    }
    return shape;
  }

  private unknown(node: hbs.AST.PathExpression, parts: string[], index: number, parent: Shape, inBlock: boolean) {
    const name = parts.slice(0, index + 1).join('.');
    const missing = parts[index]!;
    const candidates = keysOf(parent);
    const guess = closest(missing, candidates);
    const prefix = parts.slice(0, index).join('.');
    let where: string;
    if (index > 0) where = `"${prefix}" is ${describeShape(parent)} without a field "${missing}"`;
    else if (inBlock) where = 'not a field of the current {{#each}}/{{#with}} item';
    else where = `not a field of event "${this.scope.event ?? '?'}", nor of the user profile (user.…), nor a built-in`;
    const hint = guess
      ? `did you mean "${[...parts.slice(0, index), guess].join('.')}"?`
      : candidates.length
        ? `available: ${candidates.slice(0, 12).join(', ')}`
        : 'add the field to the event schema, or read it from user.traits';
    this.problems.push({ code: 'template-unknown-variable', message: `unknown variable "${name}": ${where}`, hint, ...this.at(node), variable: name });
  }

  private helper(name: string, node: Node, params: number): boolean {
    const spec = ALL_HELPERS.get(name);
    if (!spec) return false;
    if (params < spec.minArgs || params > spec.maxArgs) {
      this.problems.push({
        code: 'template-unknown-helper',
        message: `helper "${name}" takes ${spec.minArgs === spec.maxArgs ? spec.minArgs : `${spec.minArgs}–${spec.maxArgs}`} argument(s), got ${params}`,
        hint: `usage: ${spec.usage}`,
        ...this.at(node),
      });
    }
    return true;
  }

  expr(node: Expr, frames: Frame[]): Shape {
    switch (node.type) {
      case 'PathExpression':
        return this.path(node as hbs.AST.PathExpression, frames);
      case 'SubExpression':
        return this.call(node as hbs.AST.SubExpression, frames, true);
      default:
        return ANY; // literals
    }
  }

  /** A mustache, block or sub-expression: either a helper call or a plain variable. */
  call(node: hbs.AST.MustacheStatement | hbs.AST.BlockStatement | hbs.AST.SubExpression, frames: Frame[], mustBeHelper = false): Shape {
    const head = node.path as Expr;
    const params = node.params as Expr[];
    const hashPairs = node.hash?.pairs ?? [];
    const isHelperCall = params.length > 0 || hashPairs.length > 0 || mustBeHelper || node.type === 'BlockStatement';
    if (head.type === 'PathExpression') {
      const p = head as hbs.AST.PathExpression;
      const simple = !p.data && p.parts.length === 1 && (p.depth ?? 0) === 0;
      if (simple && this.helper(p.parts[0]!, node, params.length)) {
        for (const param of params) this.expr(param, frames);
        for (const pair of hashPairs) this.expr(pair.value as Expr, frames);
        return ANY;
      }
      if (isHelperCall) {
        const known = [...ALL_HELPERS.keys()];
        const guess = simple ? closest(p.parts[0]!, known) : undefined;
        this.problems.push({
          code: 'template-unknown-helper',
          message: `unknown helper "${p.original}"`,
          hint: guess ? `did you mean "${guess}"?` : `helpers: ${known.join(', ')}`,
          ...this.at(node),
        });
        for (const param of params) this.expr(param, frames);
        return ANY;
      }
    }
    return this.expr(head, frames);
  }

  block(node: hbs.AST.BlockStatement, frames: Frame[]) {
    const head = node.path as hbs.AST.PathExpression;
    const name = head.type === 'PathExpression' && head.parts.length === 1 ? head.parts[0] : undefined;
    const argShape = node.params[0] ? this.expr(node.params[0] as Expr, frames) : ANY;
    if (name && ALL_HELPERS.has(name)) {
      this.helper(name, node, node.params.length);
      for (const param of node.params.slice(1)) this.expr(param as Expr, frames);
    } else {
      this.call(node, frames);
    }
    let inner = frames;
    if (name === 'each') {
      const item = argShape.kind === 'array' ? argShape.items : argShape.kind === 'object' ? (argShape.rest ?? ANY) : ANY;
      inner = [...frames, { shape: item }];
    } else if (name === 'with') {
      inner = [...frames, { shape: argShape }];
    }
    if (node.program) this.statements(node.program.body, inner);
    if (node.inverse) this.statements(node.inverse.body, frames);
  }

  statements(body: hbs.AST.Statement[], frames: Frame[]) {
    for (const statement of body) {
      if (statement.type === 'MustacheStatement') this.call(statement as hbs.AST.MustacheStatement, frames);
      else if (statement.type === 'BlockStatement') this.block(statement as hbs.AST.BlockStatement, frames);
      else if (statement.type === 'PartialStatement' || statement.type === 'PartialBlockStatement' || statement.type === 'DecoratorBlock') {
        this.problems.push({ code: 'template-unknown-helper', message: 'partials and decorators are not supported in Herald templates', hint: 'inline the content, or use {{#if}}/{{#each}}', ...this.at(statement) });
      }
    }
  }
}

/** Checks one Handlebars string against a scope. */
export function checkTemplateString(source: string, scope: VariableScope): TemplateProblem[] {
  let ast: hbs.AST.Program;
  try {
    ast = Handlebars.parse(source);
  } catch (error) {
    return [parseError(error as Error)];
  }
  const checker = new Checker(scope);
  checker.statements(ast.body, [{ shape: scope.root }]);
  return checker.problems;
}

export interface TemplateFieldProblems {
  channel: string;
  field: string;
  locale?: string;
  problems: TemplateProblem[];
}

/** Every field of every channel, default content and each locale variant, checked against the event's schema. */
export function checkTemplate(template: Template, eventSchema: Record<string, unknown>): TemplateFieldProblems[] {
  const scope = scopeForEvent(eventSchema, template.event);
  const out: TemplateFieldProblems[] = [];
  const visit = (content: Partial<Template['content']>, locale?: string) => {
    for (const [channel, fields] of Object.entries(content)) {
      for (const [field, value] of Object.entries(fields ?? {})) {
        const strings = typeof value === 'string' ? [[field, value]] : Object.entries((value ?? {}) as Record<string, string>).map(([k, v]) => [`${field}.${k}`, v]);
        for (const [name, source] of strings) {
          if (typeof source !== 'string') continue;
          const problems = checkTemplateString(source, scope);
          if (problems.length) out.push({ channel, field: name!, ...(locale === undefined ? {} : { locale }), problems });
        }
      }
    }
  };
  visit(template.content);
  for (const [locale, content] of Object.entries(template.locales)) visit(content, locale);
  return out;
}

const languageNames = new Intl.DisplayNames(['en'], { type: 'language', fallback: 'none' });

/** A syntactically valid BCP 47 tag whose language is a real one (`fr`, `pt-BR`; not `xx`). */
export function isKnownLocale(code: string): boolean {
  try {
    const [canonical] = Intl.getCanonicalLocales(code);
    if (!canonical) return false;
    const language = new Intl.Locale(canonical).language;
    return languageNames.of(language) !== undefined;
  } catch {
    return false;
  }
}
