import { timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { HttpError } from './errors.ts';

/** `Authorization: Bearer <HERALD_API_KEY>`, compared in constant time. */
export function requireApiKey(apiKey: string): MiddlewareHandler {
  const expected = Buffer.from(apiKey);
  return async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const given = Buffer.from(header.replace(/^Bearer\s+/i, ''));
    if (!header.match(/^Bearer\s+/i) || given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new HttpError(401, 'unauthorized', 'missing or wrong API key: send Authorization: Bearer <HERALD_API_KEY>');
    }
    await next();
  };
}
