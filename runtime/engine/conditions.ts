/**
 * Evaluates a branch condition and explains it: every node reports its value and, for leaves, the inputs
 * it read, so a run's history can answer "why did it take this arm?".
 */
import type { Bundle, Condition, EngagementKind, JsonValue } from '../../compiler/bundle/schema.ts';
import { engagementSeen } from './engagements.ts';
import { hasAddress, resolvePreference } from './preferences.ts';
import { jsonEqual, resolveRef, type RefScope } from './refs.ts';

export interface ConditionScope extends RefScope {
  engagements: Record<string, EngagementKind[]>;
  /** The fact's time (epoch ms). */
  now: number;
  bundle: Pick<Bundle, 'categories'>;
  /** The run's user id (falls back to the snapshot's id for `hasChannel('inapp')`). */
  userId?: string | null;
}

/** A JSON tree mirroring the condition: `op`, `value`, `children` for and/or/not, the inputs read for leaves. */
export type ConditionExplain = { [key: string]: JsonValue } & { op: Condition['op']; value: boolean };

export interface ConditionResult {
  value: boolean;
  explain: ConditionExplain;
}

/**
 * @example evaluateCondition({ op: 'activeWithin', durationMs: 300_000 }, scope)
 *   // → { value: false, explain: { op: 'activeWithin', value: false, durationMs: 300000, lastActiveAt: null } }
 */
export function evaluateCondition(cond: Condition, scope: ConditionScope): ConditionResult {
  const explain = explainCondition(cond, scope);
  return { value: explain.value, explain };
}

function explainCondition(cond: Condition, scope: ConditionScope): ConditionExplain {
  switch (cond.op) {
    case 'and': {
      // Every child is evaluated (no short-circuit): evaluation is pure, and the full picture explains more.
      const children = cond.all.map((c) => explainCondition(c, scope));
      return { op: 'and', value: children.every((c) => c.value), children };
    }
    case 'or': {
      const children = cond.any.map((c) => explainCondition(c, scope));
      return { op: 'or', value: children.some((c) => c.value), children };
    }
    case 'not': {
      const child = explainCondition(cond.cond, scope);
      return { op: 'not', value: !child.value, children: [child] };
    }
    case 'compare': {
      const left = resolveRef(cond.left.ref, scope);
      const value = compare(cond.cmp, left, cond.right);
      return { op: 'compare', value, ref: cond.left.ref, cmp: cond.cmp, left: left ?? null, right: cond.right ?? null };
    }
    case 'engaged': {
      const seen = scope.engagements[cond.step] ?? [];
      return { op: 'engaged', value: engagementSeen(seen, cond.kind), step: cond.step, kind: cond.kind, seen };
    }
    case 'activeWithin': {
      const last = scope.user.lastActiveAt;
      const value = last !== null && scope.now - last <= cond.durationMs;
      return { op: 'activeWithin', value, durationMs: cond.durationMs, lastActiveAt: last, now: scope.now };
    }
    case 'hasChannel': {
      const value = hasAddress(scope.user, cond.channel, scope.userId ?? scope.user.id);
      return { op: 'hasChannel', value, channel: cond.channel };
    }
    case 'preference': {
      const { allowed, rule } = resolvePreference(scope.bundle, cond.category, cond.channel, scope.user);
      return { op: 'preference', value: allowed, category: cond.category, channel: cond.channel, rule };
    }
  }
}

function ordered(a: JsonValue | undefined, b: JsonValue | undefined): [number, number] | [string, string] | null {
  if (typeof a === 'number' && typeof b === 'number') return [a, b];
  if (typeof a === 'string' && typeof b === 'string') return [a, b];
  return null;
}

function compare(cmp: Extract<Condition, { op: 'compare' }>['cmp'], left: JsonValue | undefined, right: JsonValue | undefined): boolean {
  switch (cmp) {
    case 'eq':
      return jsonEqual(left, right);
    case 'neq':
      return !jsonEqual(left, right);
    case 'exists':
      return left !== undefined && left !== null;
    case 'in':
      return Array.isArray(right) && right.some((r) => jsonEqual(left, r));
    case 'contains':
      if (Array.isArray(left)) return left.some((l) => jsonEqual(l, right));
      return typeof left === 'string' && typeof right === 'string' && left.includes(right);
    default: {
      // gt/gte/lt/lte compare two numbers or two strings; anything else (missing, mixed types) is false.
      const pair = ordered(left, right);
      if (!pair) return false;
      const [a, b] = pair;
      if (cmp === 'gt') return a > b;
      if (cmp === 'gte') return a >= b;
      if (cmp === 'lt') return a < b;
      return a <= b;
    }
  }
}
