/**
 * Walks a parsed template: every variable it reads (in mustaches, block and subexpression params, hash
 * values) with its position and scope, and every helper it calls. `#each` / `#with` open a scope over the
 * list's items or the object; `#if` / `#unless` keep the scope; `{{else}}` branches run in the outer scope.
 */
import { ALL_HELPERS, HELPER_ALIASES, type HelperSpec } from '../bundle/template-helpers.ts';
import { closest } from './closest.ts';
import type { TemplateProblem } from './problem.ts';
import { resolvePath, type Frame } from './resolve.ts';
import type { VariableScope } from './scope.ts';
import { ANY, scalar, union, type Shape } from './shape.ts';

/** One variable read by a template, with where it is (1-based, within the string). */
export interface VariableUse {
  variable: string;
  line: number;
  column: number;
  known: boolean;
}

export interface Analysis {
  uses: VariableUse[];
  problems: TemplateProblem[];
}

type Node = hbs.AST.Node;
type Call = hbs.AST.MustacheStatement | hbs.AST.BlockStatement | hbs.AST.SubExpression;

const at = (node: Node) => ({ line: node.loc.start.line, column: node.loc.start.column + 1 });

export function analyze(ast: hbs.AST.Program, scope: VariableScope): Analysis {
  const uses: VariableUse[] = [];
  const problems: TemplateProblem[] = [];
  const report = (code: TemplateProblem['code'], node: Node, message: string, hint?: string, variable?: string) =>
    problems.push({ code, message, ...at(node), ...(hint ? { hint } : {}), ...(variable ? { variable } : {}) });

  const variable = (path: hbs.AST.PathExpression, frames: readonly Frame[]): Shape => {
    const result = resolvePath(path, frames, scope);
    uses.push({ variable: path.original, ...at(path), known: result.ok });
    if (result.ok) return result.shape;
    report('template-unknown-variable', path, result.message, result.hint, path.original);
    return ANY;
  };

  const expression = (node: Node, frames: readonly Frame[]): Shape => {
    switch (node.type) {
      case 'PathExpression':
        return variable(node as hbs.AST.PathExpression, frames);
      case 'SubExpression':
        call(node as hbs.AST.SubExpression, frames);
        return ANY;
      case 'StringLiteral':
        return scalar('string');
      case 'NumberLiteral':
        return scalar('number');
      case 'BooleanLiteral':
        return scalar('boolean');
      default:
        return ANY;
    }
  };

  /** Checks the helper a call names and its arguments; returns the helper, or undefined if unknown. */
  const call = (node: Call, frames: readonly Frame[]): HelperSpec | undefined => {
    const args = node.params.map((p) => expression(p, frames));
    for (const pair of node.hash?.pairs ?? []) expression(pair.value, frames);
    const path = node.path as hbs.AST.PathExpression;
    const helper = isSimple(path) ? ALL_HELPERS.get(path.original) : undefined;
    if (!helper) {
      const guess = (Object.hasOwn(HELPER_ALIASES, path.original) ? HELPER_ALIASES[path.original] : undefined) ?? closest(path.original, ALL_HELPERS.keys());
      const hint = guess ? `did you mean "${guess}"? (${ALL_HELPERS.get(guess)!.usage})` : `helpers: ${[...ALL_HELPERS.keys()].join(', ')}`;
      report('template-unknown-helper', path, `unknown helper "${path.original}"`, hint);
      return undefined;
    }
    if (args.length < helper.minArgs || args.length > helper.maxArgs) {
      const wanted = helper.minArgs === helper.maxArgs ? `${helper.minArgs}` : `${helper.minArgs} to ${helper.maxArgs}`;
      report(
        'template-unknown-helper',
        path,
        `helper "${helper.name}" takes ${wanted} argument${wanted === '1' ? '' : 's'}, got ${args.length}`,
        `write ${helper.usage}`,
      );
    }
    return helper;
  };

  const mustache = (node: hbs.AST.MustacheStatement, frames: readonly Frame[]) => {
    if (node.path.type !== 'PathExpression') return;
    const path = node.path as hbs.AST.PathExpression;
    const hasArgs = node.params.length > 0 || (node.hash?.pairs.length ?? 0) > 0;
    // `{{name}}` is a helper call when a helper has that name (Handlebars' own precedence), else a variable.
    if (hasArgs || (isSimple(path) && ALL_HELPERS.has(path.original))) call(node, frames);
    else variable(path, frames);
  };

  const block = (node: hbs.AST.BlockStatement, frames: readonly Frame[]) => {
    const name = node.path.original;
    if (!(isSimple(node.path) && ALL_HELPERS.has(name))) {
      const asVariable = node.params.length === 0 ? resolvePath(node.path, frames, scope) : undefined;
      if (asVariable?.ok) {
        const kind = asVariable.shape.kind;
        const fix = kind === 'array' ? `{{#each ${name}}}` : kind === 'object' ? `{{#with ${name}}}` : `{{#if ${name}}}`;
        report(
          'template-unknown-helper',
          node.path,
          `"{{#${name}}}" is a Mustache section, which Herald templates do not use`,
          `write ${fix}…{{/${fix.slice(3, fix.indexOf(' '))}}}`,
        );
        for (const child of [node.program, node.inverse]) if (child) program(child, frames);
        return;
      }
    }
    const helper = call(node, frames);
    let inner = frames;
    if (helper && (name === 'each' || name === 'with') && node.params[0]) {
      inner = [...frames, openFrame(name, node.params[0], node.program?.blockParams ?? [], frames)];
    }
    if (node.program) program(node.program, inner);
    if (node.inverse) program(node.inverse, frames);
  };

  const openFrame = (name: string, param: Node, blockParams: readonly string[], frames: readonly Frame[]): Frame => {
    // The param was already checked by `call`; resolve it again quietly for its shape.
    const target = param.type === 'PathExpression' ? resolvePath(param as hbs.AST.PathExpression, frames, scope) : undefined;
    const shape = target?.ok ? target.shape : ANY;
    const written = param.type === 'PathExpression' ? (param as hbs.AST.PathExpression).original : 'the value';
    const each = name === 'each';
    const self = each ? itemShape(shape) : shape;
    const params = new Map<string, Shape>();
    if (blockParams[0]) params.set(blockParams[0], self);
    if (each && blockParams[1]) params.set(blockParams[1], scalar(shape.kind === 'array' ? 'number' : 'string'));
    return { shape: self, label: each ? `the items of "${written}"` : `"${written}"`, each, params };
  };

  const statement = (node: Node, frames: readonly Frame[]) => {
    switch (node.type) {
      case 'MustacheStatement':
        return mustache(node as hbs.AST.MustacheStatement, frames);
      case 'BlockStatement':
        return block(node as hbs.AST.BlockStatement, frames);
      case 'PartialStatement':
      case 'PartialBlockStatement':
        // `{{> name}}` of a partial() was expanded at build time (templates/partials.ts); what is left is another form.
        return report(
          'template-parse',
          node,
          'only the plain form of a partial, {{> name}}, is available in Herald templates (no parameters, {{#> block}} or {{> (dynamic)}})',
          "define the content with partial('name', { html, text }) and write {{> name}}",
        );
      case 'Decorator':
      case 'DecoratorBlock':
        return report('template-parse', node, 'decorators ({{* name}}) are not available in Herald templates', 'remove the decorator');
      default:
        return; // content and comments
    }
  };

  const program = (node: hbs.AST.Program, frames: readonly Frame[]) => {
    for (const child of node.body) statement(child, frames);
  };

  program(ast, [{ shape: scope.root, each: false, params: new Map() }]);
  return { uses, problems };
}

/** A name alone (`upper`), not a path (`user.email`, `this.x`, `../x`, `@root`): only these can be helpers. */
function isSimple(path: hbs.AST.PathExpression): boolean {
  return !path.data && path.depth === 0 && path.parts.length === 1 && !/^\.|^this\b/.test(path.original);
}

/** What `this` is inside `{{#each x}}`: the list's items, or an object's values. */
function itemShape(shape: Shape): Shape {
  if (shape.kind === 'array') return shape.items;
  if (shape.kind === 'object') return union([...shape.fields.values(), ...(shape.rest ? [shape.rest] : [])]);
  return ANY;
}
