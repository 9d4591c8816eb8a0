import type { Context } from 'hono';
import type { z } from 'zod';
import { HttpError, invalid } from './errors.ts';

/**
 * How deep arrays and objects may nest in a request body. The validators (zod's `z.json()`) and the JSON
 * encoders downstream recurse, so a body nested a few thousand levels deep (a few KB) would overflow the
 * stack: it is refused before it is parsed. Real payloads nest a handful of levels.
 */
export const MAX_JSON_DEPTH = 64;

/** The offset at which arrays and objects nest past `limit` levels, or null; strings are skipped, nothing is parsed. */
function nestingPastLimit(text: string, limit: number): number | null {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // a backslash escapes the next character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > limit) return i;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return null;
}

/**
 * The path of the first `__proto__` key in parsed JSON, or null. JSON.parse keeps such a key as plain data,
 * but an object rebuilt by assignment (zod's records do that) would take its value as its prototype: the key
 * would vanish from what is stored and its fields would show through as inherited ones. So it is refused.
 */
function protoKeyPath(value: unknown): string | null {
  const pending: [unknown, string][] = [[value, '']];
  while (pending.length) {
    const [item, path] = pending.pop()!;
    if (typeof item !== 'object' || item === null) continue;
    for (const key of Object.keys(item)) {
      const at = path ? `${path}.${key}` : key;
      if (key === '__proto__') return at;
      pending.push([(item as Record<string, unknown>)[key], at]);
    }
  }
  return null;
}

/** Parses a JSON request body, refusing (400, with what and where) what is not JSON, nests too deep, or names `__proto__`. */
export function parseJsonBody(raw: string): unknown {
  const deep = nestingPastLimit(raw, MAX_JSON_DEPTH);
  if (deep !== null) {
    throw new HttpError(
      400,
      'invalid_request',
      `the body nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep (at character ${deep}); flatten the data`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    throw new HttpError(400, 'invalid_json', `the body is not valid JSON: ${(error as Error).message}`);
  }
  // Only a body that spells the key (or escapes characters, which could spell it) needs the walk.
  const proto = raw.includes('__proto__') || raw.includes('\\u') ? protoKeyPath(parsed) : null;
  if (proto !== null) {
    throw new HttpError(400, 'invalid_request', `body: ${proto}: "__proto__" is not allowed as a key; rename it`, [
      { path: proto, message: '"__proto__" is not allowed as a key', code: 'forbidden_key' },
    ]);
  }
  return parsed;
}

/** Parses the JSON body and validates it; 400 with the field path on either failure. */
export async function readBody<S extends z.ZodType>(c: Context, schema: S): Promise<{ value: z.infer<S>; raw: string }> {
  const raw = await c.req.text();
  const parsed = raw.length ? parseJsonBody(raw) : {};
  const result = schema.safeParse(parsed);
  if (!result.success) throw invalid(result.error, 'body');
  return { value: result.data, raw };
}
