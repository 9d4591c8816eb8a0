/**
 * `audience(id, { where })`: a typed filter over users, kept as data. `where` runs once, when the definition is
 * made, and what it builds is a JSON condition tree (compiler/bundle/audience.ts); the compiler checks it and the
 * runtime evaluates it as one SQL query.
 *
 * Traits are typed by `settings({ traits })` once the project registers that schema's type:
 *
 * ```ts
 * const traits = z.object({ plan: z.enum(['free', 'pro']), seats: z.number() });
 * export default settings({ traits });
 * declare module 'herald' { interface Register { traits: typeof traits } }
 * ```
 *
 * Without it, traits are untyped and every operator is offered (the compiler still checks what it can).
 */
import type { z } from 'zod';
import type { AudienceScalar, DateField, ProfileField, TextField } from '../bundle/audience.ts';
import type { AudienceConditionSpec, AudienceDefinition, CategoryDefinition, Channel } from './definitions.ts';
import type { Duration } from './duration.ts';

/** Augment with `{ traits: typeof yourTraitsSchema }` to type `u.trait(…)` (see the module comment). */
// biome-ignore lint/suspicious/noEmptyInterface: filled in by the project's declaration merging
export interface Register {}

type RegisteredTraits = Register extends { traits: infer S extends z.ZodType } ? z.input<S> : undefined;

/** A condition being built: chain `.and(…)` / `.or(…)`; `u.not(…)` negates. */
export interface AudienceFilter {
  readonly condition: AudienceConditionSpec;
  and(...others: AudienceFilter[]): AudienceFilter;
  or(...others: AudienceFilter[]): AudienceFilter;
}

export interface ExistsOperand {
  /** Present and not null. */
  exists(): AudienceFilter;
}
export interface StringOperand<T extends string = string> extends ExistsOperand {
  eq(value: T): AudienceFilter;
  /** Present and different (a missing value is neither equal nor different: use `u.not(… .eq(…))` to include it). */
  ne(value: T): AudienceFilter;
  in(values: readonly T[]): AudienceFilter;
  startsWith(prefix: string): AudienceFilter;
}
export interface NumberOperand extends ExistsOperand {
  eq(value: number): AudienceFilter;
  ne(value: number): AudienceFilter;
  in(values: readonly number[]): AudienceFilter;
  gt(value: number): AudienceFilter;
  gte(value: number): AudienceFilter;
  lt(value: number): AudienceFilter;
  lte(value: number): AudienceFilter;
}
export interface BooleanOperand extends ExistsOperand {
  eq(value: boolean): AudienceFilter;
  ne(value: boolean): AudienceFilter;
}
export interface ArrayOperand<E> extends ExistsOperand {
  /** The list holds this value. */
  contains(value: E): AudienceFilter;
}
/** A date field, compared as an instant (a `Date`, or an ISO date-time; without an offset it is read as UTC). */
export interface DateOperand extends ExistsOperand {
  gt(value: Date | string): AudienceFilter;
  gte(value: Date | string): AudienceFilter;
  lt(value: Date | string): AudienceFilter;
  lte(value: Date | string): AudienceFilter;
}
/** An untyped trait: every operator (the compiler refuses the ones its value cannot meet). */
export interface AnyOperand extends ExistsOperand {
  eq(value: AudienceScalar): AudienceFilter;
  ne(value: AudienceScalar): AudienceFilter;
  in(values: readonly AudienceScalar[]): AudienceFilter;
  startsWith(prefix: string): AudienceFilter;
  gt(value: number): AudienceFilter;
  gte(value: number): AudienceFilter;
  lt(value: number): AudienceFilter;
  lte(value: number): AudienceFilter;
  contains(value: AudienceScalar): AudienceFilter;
}

/** The operators a trait of type T offers. */
export type OperandFor<T> = [NonNullable<T>] extends [readonly (infer E)[]]
  ? ArrayOperand<E>
  : [NonNullable<T>] extends [string]
    ? StringOperand<NonNullable<T>>
    : [NonNullable<T>] extends [number]
      ? NumberOperand
      : [NonNullable<T>] extends [boolean]
        ? BooleanOperand
        : ExistsOperand;

type TraitAccess<T> = T extends object ? <K extends keyof T & string>(name: K) => OperandFor<T[K]> : (name: string) => AnyOperand;

export interface AudienceProfile<T = RegisteredTraits> {
  /** A trait (`traits.plan`), typed by the registered traits schema. */
  trait: TraitAccess<T>;
  /** A profile field: text fields (`locale`, `email`, …) or dates (`created_at`, `last_active_at`). */
  field<F extends ProfileField>(name: F): F extends DateField ? DateOperand : F extends TextField ? StringOperand : never;
  /** The user explicitly turned the category off (on `channel`, or on any channel). */
  optedOut(category: CategoryDefinition | string, channel?: Channel): AudienceFilter;
  /** The user explicitly turned the category on (on `channel`, or on any channel); category defaults do not count. */
  optedIn(category: CategoryDefinition | string, channel?: Channel): AudienceFilter;
  /** A member of the list (lists are data: any id). */
  inList(id: string): AudienceFilter;
  /** Seen active (heartbeat, inbox, page/screen) within the duration before the audience is read. */
  activeWithin(duration: Duration): AudienceFilter;
  not(filter: AudienceFilter): AudienceFilter;
  all(...filters: AudienceFilter[]): AudienceFilter;
  any(...filters: AudienceFilter[]): AudienceFilter;
}

function filter(condition: AudienceConditionSpec): AudienceFilter {
  return {
    condition,
    and: (...others) => filter({ op: 'and', all: [condition, ...others.map((o) => o.condition)] }),
    or: (...others) => filter({ op: 'or', any: [condition, ...others.map((o) => o.condition)] }),
  };
}

/** A date as an ISO instant; a string that is no date is kept as written, for the compiler to report. */
function instant(value: Date | string | number): string | number {
  if (typeof value === 'number') return value;
  const time = value instanceof Date ? value.getTime() : Date.parse(value);
  return Number.isNaN(time) ? String(value) : new Date(time).toISOString();
}

function operand(on: { op: 'trait' | 'field'; name: string }): AnyOperand & DateOperand {
  const compare = (cmp: string, value?: unknown) => filter({ ...on, cmp, ...(value === undefined ? {} : { value }) } as AudienceConditionSpec);
  return {
    exists: () => compare('exists'),
    eq: (v) => compare('eq', v),
    ne: (v) => compare('ne', v),
    in: (vs) => compare('in', [...vs]),
    startsWith: (prefix) => compare('startsWith', prefix),
    contains: (v) => compare('contains', v),
    gt: (v: number | Date | string) => compare('gt', instant(v)),
    gte: (v: number | Date | string) => compare('gte', instant(v)),
    lt: (v: number | Date | string) => compare('lt', instant(v)),
    lte: (v: number | Date | string) => compare('lte', instant(v)),
  };
}

const categoryId = (c: CategoryDefinition | string) => (typeof c === 'string' ? c : c.id);
const preference = (allowed: boolean) => (category: CategoryDefinition | string, channel?: Channel) =>
  filter({ op: 'preference', category: categoryId(category), ...(channel === undefined ? {} : { channel }), allowed });

const profile: AudienceProfile<Record<string, unknown>> = {
  trait: ((name: string) => operand({ op: 'trait', name })) as never,
  field: ((name: string) => operand({ op: 'field', name })) as never,
  optedOut: preference(false),
  optedIn: preference(true),
  inList: (id) => filter({ op: 'inList', list: id }),
  activeWithin: (duration) => filter({ op: 'activeWithin', duration }),
  not: (f) => filter({ op: 'not', cond: f.condition }),
  all: (...fs) => filter({ op: 'and', all: fs.map((f) => f.condition) }),
  any: (...fs) => filter({ op: 'or', any: fs.map((f) => f.condition) }),
};

/** Negates a filter: `not(u.inList('beta'))`. */
export const not = (f: AudienceFilter): AudienceFilter => profile.not(f);

/**
 * A named group of users, for broadcasts and scheduled workflows.
 *
 * @example
 * export const euFreePlan = audience('eu-free-plan', {
 *   description: 'Free plan, French-speaking',
 *   where: (u) => u.trait('plan').eq('free').and(u.field('locale').startsWith('fr')),
 * });
 */
export function audience(id: string, options: { where: (u: AudienceProfile) => AudienceFilter; description?: string }): AudienceDefinition {
  const built = options.where(profile as unknown as AudienceProfile);
  return {
    kind: 'audience',
    id,
    ...(options.description === undefined ? {} : { description: options.description }),
    condition: built.condition,
  };
}
