/**
 * Lowers `audience(…)` definitions to the bundle's `audiences`, checking each leaf of the condition (`bad-audience`,
 * reported at the `u.trait('…')` / `u.field('…')` / … call that made it): trait names and operators against the
 * traits schema of `settings({ traits })` when there is one, profile fields and their operators, categories,
 * durations, and values that fit the operator.
 */
import type { AudienceCondition } from '../bundle/audience.ts';
import { isDateField, isTextField, PROFILE_FIELDS } from '../bundle/audience.ts';
import { type Bundle, CHANNELS, type JsonValue } from '../bundle/schema.ts';
import type { SourceLocation } from '../diagnostics/diagnostic.ts';
import type { AudienceConditionSpec, AudienceDefinition } from '../dsl/definitions.ts';
import { Node } from 'ts-morph';
import { uniqueById } from './catalog.ts';
import type { LowerContext } from './context.ts';
import { durationMs } from './durations.ts';
import { traitTypes, type TraitType } from './trait-types.ts';

type Audiences = NonNullable<Bundle['audiences']>;

const CMPS = ['eq', 'ne', 'in', 'startsWith', 'exists', 'gt', 'gte', 'lt', 'lte', 'contains'] as const;
const ORDERING = new Set(['gt', 'gte', 'lt', 'lte']);
/** What each kind of value may be asked. */
const OPERATORS: Record<TraitType | 'any' | 'text' | 'date', readonly string[]> = {
  string: ['eq', 'ne', 'in', 'startsWith', 'exists'],
  number: ['eq', 'ne', 'in', 'gt', 'gte', 'lt', 'lte', 'exists'],
  boolean: ['eq', 'ne', 'exists'],
  array: ['contains', 'exists'],
  other: ['exists'],
  any: CMPS,
  text: ['eq', 'ne', 'in', 'startsWith', 'exists'],
  date: ['gt', 'gte', 'lt', 'lte', 'exists'],
};
const BUILDER_OF: Record<string, string> = { trait: 'trait', field: 'field', inList: 'inList', activeWithin: 'activeWithin' };

interface Scope {
  ctx: LowerContext;
  id: string;
  file: string;
  categories: Bundle['categories'];
  traits: Map<string, { type: TraitType; enum?: JsonValue[] }> | null;
  ok: boolean;
}

/** The bundle's audiences, or undefined when none is defined (the bundle then has no such key). */
export function lowerAudiences(ctx: LowerContext, categories: Bundle['categories']): Audiences | undefined {
  const traits = traitTypes(ctx);
  const defined = uniqueById(ctx, 'audience', ctx.all('audience'), (d) => d.id);
  if (defined.length === 0) return undefined;
  const out: Audiences = {};
  for (const { def, file } of defined) {
    const scope: Scope = { ctx, id: def.id, file, categories, traits, ok: true };
    const condition = lowerNode(scope, def.condition);
    if (scope.ok && condition) out[def.id] = { condition, ...(def.description === undefined ? {} : { description: def.description }) };
  }
  return out;
}

/** The builder call that made a leaf (`u.trait('plan')`), found inside the audience by name; else the `where`. */
function whereLeaf(scope: Scope, builder: string | undefined, name: string | undefined): SourceLocation {
  const call = scope.ctx.locator.definition('audience', scope.id, scope.file);
  if (call && builder && name !== undefined) {
    const leaf = call.getDescendants().find((n) => {
      if (!Node.isCallExpression(n)) return false;
      const callee = n.getExpression();
      const arg = n.getArguments()[0];
      return (
        Node.isPropertyAccessExpression(callee) &&
        callee.getName() === builder &&
        arg !== undefined &&
        Node.isStringLiteral(arg) &&
        arg.getLiteralValue() === name
      );
    });
    if (leaf) return scope.ctx.nodeAt(leaf, scope.file);
  }
  return scope.ctx.where('audience', scope.id, scope.file, ['where']);
}

function bad(scope: Scope, at: SourceLocation, message: string, hint: string): null {
  scope.ctx.report('bad-audience', at, `audience "${scope.id}": ${message}`, hint);
  scope.ok = false;
  return null;
}

function lowerNode(scope: Scope, node: AudienceConditionSpec): AudienceCondition | null {
  switch (node.op) {
    case 'and':
    case 'or': {
      const children = (node.op === 'and' ? node.all : node.any).map((c) => lowerNode(scope, c));
      if (children.some((c) => c === null)) return null;
      const list = children as AudienceCondition[];
      return node.op === 'and' ? { op: 'and', all: list } : { op: 'or', any: list };
    }
    case 'not': {
      const cond = lowerNode(scope, node.cond);
      return cond && { op: 'not', cond };
    }
    case 'trait':
    case 'field':
      return lowerComparison(scope, node);
    case 'preference': {
      const at = () => whereLeaf(scope, node.allowed ? 'optedIn' : 'optedOut', node.category);
      if (!Object.hasOwn(scope.categories, node.category)) {
        return bad(scope, at(), `unknown category "${node.category}"`, scope.ctx.suggest(node.category, Object.keys(scope.categories), 'category'));
      }
      if (node.channel !== undefined && !(CHANNELS as readonly string[]).includes(node.channel)) {
        return bad(scope, at(), `unknown channel "${node.channel}"`, `channels are ${CHANNELS.join(', ')}`);
      }
      return { op: 'preference', category: node.category, ...(node.channel === undefined ? {} : { channel: node.channel }), allowed: node.allowed };
    }
    case 'inList':
      if (typeof node.list !== 'string' || node.list === '')
        return bad(scope, whereLeaf(scope, 'inList', undefined), 'inList needs a list id', "e.g. u.inList('project:123:watchers')");
      return { op: 'inList', list: node.list };
    case 'activeWithin': {
      const reported = scope.ctx.diagnostics.length;
      const ms = durationMs(scope.ctx, node.duration, () => whereLeaf(scope, 'activeWithin', node.duration));
      if (scope.ctx.diagnostics.length > reported) {
        scope.ok = false;
        return null;
      }
      return { op: 'activeWithin', durationMs: ms };
    }
    default:
      return bad(
        scope,
        whereLeaf(scope, undefined, undefined),
        `unknown condition ${JSON.stringify((node as { op?: unknown }).op)}`,
        'build conditions with the u.… helpers',
      );
  }
}

const describeValue = (v: JsonValue | undefined) => (v === undefined ? 'nothing' : JSON.stringify(v));
const isScalar = (v: unknown): v is string | number | boolean =>
  typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean';

function lowerComparison(scope: Scope, node: Extract<AudienceConditionSpec, { op: 'trait' | 'field' }>): AudienceCondition | null {
  const at = () => whereLeaf(scope, BUILDER_OF[node.op], node.name);
  const what = node.op === 'trait' ? `trait "${node.name}"` : `field "${node.name}"`;
  let kind: keyof typeof OPERATORS;
  let enumValues: JsonValue[] | undefined;
  if (node.op === 'field') {
    if (!isTextField(node.name) && !isDateField(node.name)) {
      return bad(scope, at(), `unknown profile field "${node.name}"`, scope.ctx.suggest(node.name, PROFILE_FIELDS, 'field'));
    }
    kind = isDateField(node.name) ? 'date' : 'text';
  } else if (scope.traits) {
    const trait = scope.traits.get(node.name);
    if (!trait)
      return bad(scope, at(), `unknown trait "${node.name}" (not in settings traits)`, scope.ctx.suggest(node.name, [...scope.traits.keys()], 'trait'));
    kind = trait.type;
    enumValues = trait.enum;
  } else {
    kind = 'any';
  }
  const allowed = OPERATORS[kind];
  if (!allowed.includes(node.cmp)) {
    return bad(
      scope,
      at(),
      `${what} is ${kind === 'any' ? 'untyped' : kind === 'other' ? 'an object' : `a ${kind}`}: it has no "${node.cmp}"`,
      `use one of: ${allowed.join(', ')}`,
    );
  }
  const value = node.value;
  const valueOk = (() => {
    if (node.cmp === 'exists') return value === undefined;
    if (node.cmp === 'in') return Array.isArray(value) && value.length > 0 && value.every(isScalar);
    if (node.cmp === 'startsWith') return typeof value === 'string';
    if (ORDERING.has(node.cmp))
      return kind === 'date' ? typeof value === 'string' && !Number.isNaN(Date.parse(value)) : typeof value === 'number' && Number.isFinite(value);
    return isScalar(value);
  })();
  if (!valueOk) {
    const expected =
      kind === 'date' && ORDERING.has(node.cmp)
        ? 'a date (a Date or an ISO date-time)'
        : node.cmp === 'in'
          ? 'a non-empty list of values'
          : 'a value of its type';
    return bad(scope, at(), `${what}.${node.cmp}(…) got ${describeValue(value)}`, `pass ${expected}`);
  }
  const fits = (v: JsonValue) => {
    if (kind === 'text' || kind === 'string') return typeof v === 'string';
    if (kind === 'number') return typeof v === 'number';
    if (kind === 'boolean') return typeof v === 'boolean';
    return true;
  };
  const values = node.cmp === 'in' ? (value as JsonValue[]) : node.cmp === 'eq' || node.cmp === 'ne' ? [value as JsonValue] : [];
  const misfit = values.find((v) => !fits(v) || (enumValues !== undefined && !enumValues.includes(v)));
  if (misfit !== undefined) {
    const hint = enumValues
      ? `its values are ${enumValues.map((v) => JSON.stringify(v)).join(', ')}`
      : `compare it with a ${kind === 'text' ? 'string' : kind}`;
    return bad(scope, at(), `${what} can never equal ${JSON.stringify(misfit)}`, hint);
  }
  const normalised = kind === 'date' && typeof value === 'string' ? new Date(Date.parse(value)).toISOString() : value;
  return { op: node.op, name: node.name, cmp: node.cmp, ...(normalised === undefined ? {} : { value: normalised }) } as AudienceCondition;
}

export type { AudienceDefinition };
