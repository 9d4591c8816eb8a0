/**
 * The Handlebars helpers Herald offers: one list, read by the compiler (names and argument counts) and
 * registered by the renderer. Helpers are pure functions of their arguments and the render context, never
 * throw (bad input renders as empty or as-is), and return plain strings, so HTML output is still escaped.
 */
import type Handlebars from 'handlebars';
import { formatDate, toDate } from './format-date.ts';

export interface HelperSpec {
  name: string;
  /** Positional arguments accepted (the Handlebars `options` object is not counted). */
  minArgs: number;
  maxArgs: number;
  /** How to call it, shown in hints. */
  usage: string;
}

interface HelperDef extends HelperSpec {
  run(args: unknown[], options: Handlebars.HelperOptions): unknown;
}

const isEmpty = (v: unknown) => v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0);
const text = (v: unknown): string => (v === undefined || v === null ? '' : typeof v === 'string' ? v : String(v));
const num = (v: unknown): number | undefined => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : undefined;
};
const compare = (a: unknown, b: unknown) => {
  const x = num(a);
  const y = num(b);
  return x !== undefined && y !== undefined ? x - y : text(a).localeCompare(text(b));
};

/** The render context's top level (the recipient is at `user`), wherever in the template the helper runs. */
function root(options: Handlebars.HelperOptions): { user?: { timezone?: unknown; locale?: unknown } } {
  const r: unknown = (options.data as { root?: unknown } | undefined)?.root;
  return typeof r === 'object' && r !== null ? (r as { user?: { timezone?: unknown; locale?: unknown } }) : {};
}
const renderLocale = (options: Handlebars.HelperOptions): string | undefined => {
  const fromData = (options.data as { locale?: unknown } | undefined)?.locale;
  const fromUser = root(options).user?.locale;
  return typeof fromData === 'string' ? fromData : typeof fromUser === 'string' ? fromUser : undefined;
};

const DEFS: HelperDef[] = [
  { name: 'upper', minArgs: 1, maxArgs: 1, usage: '{{upper value}}', run: ([v]) => text(v).toUpperCase() },
  { name: 'lower', minArgs: 1, maxArgs: 1, usage: '{{lower value}}', run: ([v]) => text(v).toLowerCase() },
  {
    name: 'capitalize',
    minArgs: 1,
    maxArgs: 1,
    usage: '{{capitalize value}}',
    run: ([v]) => {
      const s = text(v);
      return s.charAt(0).toUpperCase() + s.slice(1);
    },
  },
  { name: 'trim', minArgs: 1, maxArgs: 1, usage: '{{trim value}}', run: ([v]) => text(v).trim() },
  {
    name: 'truncate',
    minArgs: 2,
    maxArgs: 2,
    usage: '{{truncate value 40}}',
    run: ([v, n]) => {
      const s = text(v);
      const max = Math.max(1, Math.floor(num(n) ?? s.length));
      return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
    },
  },
  {
    name: 'default',
    minArgs: 2,
    maxArgs: 2,
    usage: '{{default value "fallback"}}',
    run: ([v, fallback]) => (isEmpty(v) ? fallback : v),
  },
  {
    name: 'formatDate',
    minArgs: 1,
    maxArgs: 2,
    usage: '{{formatDate created_at "medium"}} or {{formatDate created_at "yyyy-MM-dd HH:mm"}}',
    run: ([v, pattern], options) => {
      const date = toDate(v);
      if (!date) return text(v);
      const zone = options.hash.timezone ?? root(options).user?.timezone;
      return formatDate(date, typeof pattern === 'string' && pattern ? pattern : 'medium', {
        timeZone: typeof zone === 'string' ? zone : undefined,
        locale: typeof options.hash.locale === 'string' ? options.hash.locale : renderLocale(options),
      });
    },
  },
  {
    name: 'formatNumber',
    minArgs: 1,
    maxArgs: 2,
    usage: '{{formatNumber amount 2}}',
    run: ([v, digits], options) => {
      const n = num(v);
      if (n === undefined) return text(v);
      const d = Math.min(20, Math.max(0, Math.floor(num(digits) ?? 2)));
      return safeFormat(renderLocale(options), { maximumFractionDigits: d }, n);
    },
  },
  {
    name: 'formatCurrency',
    minArgs: 2,
    maxArgs: 2,
    usage: '{{formatCurrency amount "EUR"}}',
    run: ([v, currency], options) => {
      const n = num(v);
      if (n === undefined) return text(v);
      return safeFormat(renderLocale(options), { style: 'currency', currency: text(currency) || 'USD' }, n);
    },
  },
  {
    name: 'pluralize',
    minArgs: 2,
    maxArgs: 3,
    usage: '{{digest.count}} {{pluralize digest.count "comment" "comments"}}',
    run: ([count, singular, plural]) => (num(count) === 1 ? text(singular) : plural === undefined ? `${text(singular)}s` : text(plural)),
  },
  {
    name: 'join',
    minArgs: 1,
    maxArgs: 2,
    usage: '{{join tags ", "}}',
    run: ([list, sep]) => (Array.isArray(list) ? list.map(text).join(sep === undefined ? ', ' : text(sep)) : text(list)),
  },
  { name: 'eq', minArgs: 2, maxArgs: 2, usage: '{{#if (eq plan_type "pro")}}', run: ([a, b]) => a === b || (num(a) !== undefined && num(a) === num(b)) },
  { name: 'ne', minArgs: 2, maxArgs: 2, usage: '{{#if (ne plan_type "free")}}', run: ([a, b]) => !(a === b || (num(a) !== undefined && num(a) === num(b))) },
  { name: 'gt', minArgs: 2, maxArgs: 2, usage: '{{#if (gt digest.count 1)}}', run: ([a, b]) => compare(a, b) > 0 },
  { name: 'gte', minArgs: 2, maxArgs: 2, usage: '{{#if (gte digest.count 2)}}', run: ([a, b]) => compare(a, b) >= 0 },
  { name: 'lt', minArgs: 2, maxArgs: 2, usage: '{{#if (lt days_left 3)}}', run: ([a, b]) => compare(a, b) < 0 },
  { name: 'lte', minArgs: 2, maxArgs: 2, usage: '{{#if (lte days_left 3)}}', run: ([a, b]) => compare(a, b) <= 0 },
  { name: 'and', minArgs: 2, maxArgs: 9, usage: '{{#if (and a b)}}', run: (args) => args.every((a) => !isEmpty(a) && a !== false && a !== 0) },
  { name: 'or', minArgs: 2, maxArgs: 9, usage: '{{#if (or a b)}}', run: (args) => args.some((a) => !isEmpty(a) && a !== false && a !== 0) },
  { name: 'not', minArgs: 1, maxArgs: 1, usage: '{{#if (not a)}}', run: ([a]) => isEmpty(a) || a === false || a === 0 },
];

function safeFormat(locale: string | undefined, opts: Intl.NumberFormatOptions, n: number): string {
  try {
    return new Intl.NumberFormat(locale ?? 'en', opts).format(n);
  } catch {
    return String(n);
  }
}

/** Handlebars' own helpers that Herald templates may use (`log`, partials and decorators are not offered). */
export const BUILTIN_HELPERS: readonly HelperSpec[] = [
  { name: 'if', minArgs: 1, maxArgs: 1, usage: '{{#if value}}…{{else}}…{{/if}}' },
  { name: 'unless', minArgs: 1, maxArgs: 1, usage: '{{#unless value}}…{{/unless}}' },
  { name: 'each', minArgs: 1, maxArgs: 1, usage: '{{#each items}}{{title}}{{/each}}' },
  { name: 'with', minArgs: 1, maxArgs: 1, usage: '{{#with company}}{{name}}{{/with}}' },
  { name: 'lookup', minArgs: 2, maxArgs: 2, usage: '{{lookup user.traits "plan"}}' },
];

/** Herald's helpers (not Handlebars' built-ins). */
export const HELPER_NAMES: readonly string[] = DEFS.map((d) => d.name);

/** Names other template tools use for the same helpers, so a hint can point at Herald's. */
export const HELPER_ALIASES: Readonly<Record<string, string>> = {
  equals: 'eq',
  ifEquals: 'eq',
  isEqual: 'eq',
  neq: 'ne',
  notEquals: 'ne',
  uppercase: 'upper',
  lowercase: 'lower',
  date: 'formatDate',
  dateFormat: 'formatDate',
  moment: 'formatDate',
  number: 'formatNumber',
  currency: 'formatCurrency',
  plural: 'pluralize',
  titlecase: 'capitalize',
};

/** Every helper a template may call, built-ins included, by name. */
export const ALL_HELPERS: ReadonlyMap<string, HelperSpec> = new Map(
  [...BUILTIN_HELPERS, ...DEFS].map(({ name, minArgs, maxArgs, usage }) => [name, { name, minArgs, maxArgs, usage }]),
);

/** Registers Herald's helpers on a Handlebars environment (use a private one: `Handlebars.create()`). */
export function registerHelpers(hb: typeof Handlebars): void {
  for (const def of DEFS) {
    hb.registerHelper(def.name, function (this: unknown, ...all: unknown[]) {
      const options = all.pop() as Handlebars.HelperOptions;
      let result: unknown;
      try {
        result = def.run(all, options);
      } catch {
        result = '';
      }
      // Used as a block (`{{#eq a b}}…{{else}}…{{/eq}}`), a helper picks a branch by its result.
      if (typeof options.fn === 'function') return result ? options.fn(this) : options.inverse(this);
      return result;
    });
  }
}
