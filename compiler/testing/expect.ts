/**
 * A minimal `expect` for scenario files, so `herald test` runs without vitest (scenarios are product code,
 * not dev tooling). The matchers behave as vitest's namesakes for plain data; a failure throws a
 * `ScenarioAssertionError` carrying the expected and actual values, which the runner prints with the
 * scenario's timeline.
 */

/** Every property optional, all the way down: what `toMatchObject` accepts. */
export type PartialDeep<T> = T extends readonly (infer U)[] ? readonly PartialDeep<U>[] : T extends object ? { [K in keyof T]?: PartialDeep<T[K]> } : T;

export class ScenarioAssertionError extends Error {
  override name = 'ScenarioAssertionError';
  readonly matcher: string;
  /** For `toMatchObject`: the expected subset. */
  readonly expected: unknown;
  /** For `toMatchObject`: the actual value cut down to the expected shape, so the two line up. */
  readonly actual: unknown;

  constructor(message: string, matcher: string, expected: unknown, actual: unknown) {
    super(message);
    this.matcher = matcher;
    this.expected = expected;
    this.actual = actual;
  }
}

export interface Matchers<T> {
  /** Same value (`Object.is`). */
  toBe(expected: T): void;
  /** Deeply equal (properties that are `undefined` are ignored, as in vitest). */
  toEqual(expected: T): void;
  /** Every property given in `expected` is deeply equal in the actual value; arrays must have the same length. */
  toMatchObject(expected: PartialDeep<T>): void;
  toHaveLength(length: number): void;
  /** An array with an element that matches `item` (as `toMatchObject` does), or a string holding the substring. */
  toContain(item: T extends readonly (infer U)[] ? PartialDeep<U> : string): void;
  toBeDefined(): void;
  toBeUndefined(): void;
  toBeTruthy(): void;
  toBeFalsy(): void;
  /** The opposite of each matcher. */
  readonly not: Omit<Matchers<T>, 'not'>;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);

export function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)].filter((k) => a[k] !== undefined || b[k] !== undefined));
    return [...keys].every((k) => deepEqual(a[k], b[k]));
  }
  return false;
}

/** The first place where `actual` does not match `expected` (a subset), or null when it matches. */
export function findMismatch(actual: unknown, expected: unknown, path = ''): { path: string; expected: unknown; actual: unknown } | null {
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return { path, expected, actual };
    if (actual.length !== expected.length) return { path: `${path}.length`, expected: expected.length, actual: actual.length };
    for (const [i, e] of expected.entries()) {
      const miss = findMismatch(actual[i], e, `${path}[${i}]`);
      if (miss) return miss;
    }
    return null;
  }
  if (isObject(expected)) {
    if (!isObject(actual)) return { path, expected, actual };
    for (const [k, e] of Object.entries(expected)) {
      const miss = findMismatch(actual[k], e, `${path}.${k}`);
      if (miss) return miss;
    }
    return null;
  }
  return deepEqual(actual, expected) ? null : { path, expected, actual };
}

/** `actual` reduced to the properties `expected` names (recursively), so a report compares like with like. */
export function projectOnto(actual: unknown, expected: unknown): unknown {
  if (Array.isArray(expected) && Array.isArray(actual)) return actual.map((a, i) => (i < expected.length ? projectOnto(a, expected[i]) : a));
  if (isObject(expected) && isObject(actual)) {
    return Object.fromEntries(
      Object.keys(expected)
        .filter((k) => k in actual)
        .map((k) => [k, projectOnto(actual[k], expected[k])]),
    );
  }
  return actual;
}

/** A value for a report: arrays one element per line, so a timeline or a list of sends reads top to bottom. */
export function formatValue(value: unknown, indent = ''): string {
  const one = (v: unknown) => (v === undefined ? 'undefined' : JSON.stringify(v));
  if (Array.isArray(value)) {
    if (value.length === 0) return `${indent}[]`;
    return [`${indent}[`, ...value.map((v) => `${indent}  ${one(v)},`), `${indent}]`].join('\n');
  }
  return `${indent}${one(value)}`;
}

const where = (path: string) => (path ? ` at ${path.replace(/^\./, '')}` : '');

export function expect<T>(actual: T): Matchers<T> {
  const make = (negated: boolean): Omit<Matchers<T>, 'not'> => {
    const check = (matcher: string, pass: boolean, message: string, expected: unknown, shown: unknown = actual) => {
      if (pass === negated) {
        const text = negated ? `expect(actual).not.${matcher}: ${message.replace(/^expected/, 'expected not')}` : `expect(actual).${matcher}: ${message}`;
        throw new ScenarioAssertionError(text, `${negated ? 'not.' : ''}${matcher}`, expected, shown);
      }
    };
    return {
      toBe: (expected) => check('toBe', Object.is(actual, expected), `expected ${formatValue(expected)}, received ${formatValue(actual)}`, expected),
      toEqual: (expected) => check('toEqual', deepEqual(actual, expected), 'expected deep equality', expected),
      toMatchObject: (expected) => {
        const miss = findMismatch(actual, expected);
        const detail = miss ? `${where(miss.path)}: expected ${formatValue(miss.expected)}, received ${formatValue(miss.actual)}` : ' (it matched)';
        check('toMatchObject', miss === null, `expected a match${detail}`, expected, projectOnto(actual, expected));
      },
      toHaveLength: (length) => {
        const got = (actual as { length?: unknown } | null | undefined)?.length;
        check('toHaveLength', got === length, `expected length ${length}, received ${formatValue(got)}`, length, actual);
      },
      toContain: (item) => {
        const pass = Array.isArray(actual)
          ? actual.some((a) => findMismatch(a, item) === null)
          : typeof actual === 'string' && typeof item === 'string' && actual.includes(item);
        check('toContain', pass, `expected ${formatValue(item)} to be contained`, item, actual);
      },
      toBeDefined: () => check('toBeDefined', actual !== undefined, 'expected a defined value', 'defined'),
      toBeUndefined: () => check('toBeUndefined', actual === undefined, `expected undefined, received ${formatValue(actual)}`, undefined),
      toBeTruthy: () => check('toBeTruthy', Boolean(actual), `expected a truthy value, received ${formatValue(actual)}`, 'truthy'),
      toBeFalsy: () => check('toBeFalsy', !actual, `expected a falsy value, received ${formatValue(actual)}`, 'falsy'),
    };
  };
  return { ...make(false), not: make(true) };
}
