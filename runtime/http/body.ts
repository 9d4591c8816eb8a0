import type { Context } from 'hono';
import type { z } from 'zod';
import { HttpError, invalid } from './errors.ts';

/** Parses the JSON body and validates it; 400 with the field path on either failure. */
export async function readBody<S extends z.ZodType>(c: Context, schema: S): Promise<{ value: z.infer<S>; raw: string }> {
  const raw = await c.req.text();
  let parsed: unknown;
  try {
    parsed = raw.length ? JSON.parse(raw) : {};
  } catch (error) {
    throw new HttpError(400, 'invalid_json', `the body is not valid JSON: ${(error as Error).message}`);
  }
  const result = schema.safeParse(parsed);
  if (!result.success) throw invalid(result.error, 'body');
  return { value: result.data, raw };
}
