/**
 * Resolves one Handlebars path against the scopes open at that point of a template (the top level, then one
 * frame per `#each` / `#with`), the way Handlebars 4 looks values up at render time: no implicit fallback
 * to outer scopes, `../` to climb, `@root` for the top, block params (`as |item|`) by name.
 */
import { closest } from './closest.ts';
import type { VariableScope } from './scope.ts';
import { USER_SHAPE } from './scope.ts';
import { describeShape, scalar, type Shape, shapeAt } from './shape.ts';

export interface Frame {
  /** What `this` is in this scope. */
  shape: Shape;
  /** How messages name this scope, e.g. `the items of "digest.items"`; undefined for the top level. */
  label?: string;
  /** Opened by `#each` (so `@index`, `@key`, `@first`, `@last` are set). */
  each: boolean;
  /** Block params named with `as |a b|`. */
  params: Map<string, Shape>;
}

export type Resolution = { ok: true; shape: Shape } | { ok: false; message: string; hint?: string };

const EACH_DATA = ['index', 'key', 'first', 'last'];
const USER_FIELDS = USER_SHAPE.kind === 'object' ? [...USER_SHAPE.fields.keys()] : [];

export function resolvePath(path: hbs.AST.PathExpression, frames: readonly Frame[], scope: VariableScope): Resolution {
  const variable = path.original;
  const top = frames[0]!;
  if (path.data) {
    const [head = '', ...rest] = path.parts;
    if (head === 'root') return walk(top.shape, rest, { variable, lead: '@root.', frame: top, scope, atRoot: true });
    if (EACH_DATA.includes(head)) {
      if (!frames.some((f) => f.each)) {
        return { ok: false, message: `"@${head}" is only set inside {{#each}}`, hint: 'move it inside an {{#each …}} block' };
      }
      return rest.length ? { ok: false, message: `"@${head}" has no fields` } : { ok: true, shape: scalar(head === 'key' ? 'string' : 'number') };
    }
    const guess = closest(head, ['root', ...EACH_DATA]);
    return {
      ok: false,
      message: `unknown data variable "${variable}"`,
      hint: guess ? `did you mean "@${guess}"?` : 'data variables are @root, @index, @key, @first and @last',
    };
  }
  if (path.depth >= frames.length) {
    return { ok: false, message: `"${variable}" climbs above the top level`, hint: 'remove one "../"' };
  }
  const frame = frames[frames.length - 1 - path.depth]!;
  const scoped = /^\.|^this\b/.test(variable);
  const lead = path.depth > 0 ? '../'.repeat(path.depth) : scoped ? (variable.startsWith('this') ? 'this.' : './') : '';
  const [head] = path.parts;
  if (!scoped && path.depth === 0 && head !== undefined) {
    for (let i = frames.length - 1; i >= 0; i--) {
      const param = frames[i]!.params.get(head);
      if (param) return walk(param, path.parts.slice(1), { variable, lead: `${head}.`, frame, scope, atRoot: false, base: head });
    }
  }
  return walk(frame.shape, path.parts, { variable, lead, frame, scope, atRoot: frame === top });
}

interface WalkContext {
  variable: string;
  /** What precedes the segments as written (`@root.`, `../`, `this.`, a block param), for suggestions. */
  lead: string;
  frame: Frame;
  scope: VariableScope;
  atRoot: boolean;
  /** Set when the walk starts at a block param, so the message names it. */
  base?: string;
}

function walk(start: Shape, segments: readonly string[], ctx: WalkContext): Resolution {
  const found = shapeAt(start, segments, 'index-or-length');
  return found.ok ? found : failure(found.parent, segments, found.index, ctx);
}

function failure(parent: Shape, segments: readonly string[], index: number, ctx: WalkContext): Resolution {
  const part = segments[index]!;
  // A suggestion keeps what was written around the misspelt segment: `usr.email` → `user.email`.
  const written = (candidate: string) => `${ctx.lead}${[...segments.slice(0, index), candidate, ...segments.slice(index + 1)].join('.')}`;
  const head = `unknown variable "${ctx.variable}"`;
  const owner = ctx.base !== undefined ? [ctx.base, ...segments.slice(0, index)].join('.') : segments.slice(0, index).join('.');
  if (parent.kind === 'scalar' || parent.kind === 'array') {
    const listPath = `${ctx.lead}${segments.slice(0, index).join('.')}`;
    const hint = parent.kind === 'array' ? `use {{#each ${listPath}}}…{{/each}} to read each item's fields` : undefined;
    return { ok: false, message: `${head}: "${owner}" is ${describeShape(parent)} and has no field "${part}"`, ...(hint ? { hint } : {}) };
  }
  const fields = parent.kind === 'object' ? [...parent.fields.keys()] : [];
  const guess = closest(part, fields);
  const suggestion = guess ? `did you mean "${written(guess)}"?` : undefined;
  if (index > 0 || ctx.base !== undefined) {
    const isUser = ctx.atRoot && ctx.base === undefined && index === 1 && segments[0] === 'user';
    const where = isUser ? `"${part}" is not a field of the user profile` : `"${owner}" has no field "${part}"`;
    const listing = isUser ? `the profile has: ${USER_FIELDS.map((f) => `user.${f}`).join(', ')} (and user.traits.<name>)` : `"${owner}" has: ${list(fields)}`;
    return { ok: false, message: `${head}: ${where}`, hint: suggestion ?? listing };
  }
  if (!ctx.atRoot) {
    const inRoot = ctx.scope.root.fields.has(part);
    const hint = inRoot
      ? `inside {{#each}} and {{#with}}, names refer to the current item: write "@root.${segments.join('.')}" for the top-level value`
      : (suggestion ?? `available here: ${list(fields)}`);
    return { ok: false, message: `${head}: not a field of ${ctx.frame.label ?? 'the current item'}`, hint };
  }
  const event = ctx.scope.event === undefined ? "the event's data" : `event "${ctx.scope.event}"`;
  return { ok: false, message: `${head}: not a field of ${event}, nor of the user profile`, hint: suggestion ?? rootHint(part, ctx.scope) };
}

function rootHint(name: string, scope: VariableScope): string {
  const userField = USER_FIELDS.includes(name) ? name : closest(name, USER_FIELDS);
  if (userField) return `did you mean "user.${userField}"?`;
  if (name === 'profile' || name === 'recipient') return 'the recipient\'s profile is "user": write {{user.email}}, {{user.traits.<name>}}';
  if (name === 'data' || name === 'payload') return "the event's fields are at the top level: write {{first_name}}, not {{data.first_name}}";
  const builtins = [...scope.root.fields.keys()].filter((k) => !scope.eventFields.includes(k));
  return `available: ${list(scope.eventFields)}; ${builtins.map((b) => (b === 'user' || b === 'digest' ? `${b}.…` : b)).join(', ')}`;
}

function list(names: readonly string[]): string {
  if (names.length === 0) return '(no fields)';
  const shown = names.slice(0, 12).map((n) => `"${n}"`);
  return names.length > 12 ? `${shown.join(', ')}, …` : shown.join(', ');
}
