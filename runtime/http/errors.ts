/**
 * The API's one error type, with a stable code, and the handler that turns anything thrown into JSON:
 * `{ error: { code, message, details? } }`. A database outage is 503 (retry later), never a 500 or a hang.
 */
import type { Context } from 'hono';
import type { z } from 'zod';
import { isConnectionError } from '../db/pool.ts';
import { ReplicaUnavailableError } from '../db/read-replica.ts';
import { InputError } from '../errors.ts';

export type ErrorCode =
  | 'unauthorized'
  | 'forbidden'
  | 'invalid_json'
  | 'invalid_request'
  | 'payload_too_large'
  | 'not_found'
  | 'idempotency_conflict'
  | 'unavailable'
  | 'rate_limited'
  | 'internal';

export class HttpError extends Error {
  readonly status: 400 | 401 | 403 | 404 | 409 | 413 | 422 | 429 | 500 | 503;
  readonly code: ErrorCode;
  readonly details?: unknown;

  constructor(status: 400 | 401 | 403 | 404 | 409 | 413 | 422 | 429 | 500 | 503, code: ErrorCode, message: string, details?: unknown) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

export function invalid(error: z.ZodError, where: string): HttpError {
  const details = error.issues.map((i) => ({ path: i.path.join('.'), message: i.message, code: i.code }));
  const first = details[0];
  return new HttpError(400, 'invalid_request', `${where}: ${first?.path || '(root)'}: ${first?.message ?? 'invalid'}`, details);
}

export function errorResponse(error: unknown, c: Context, log: (error: unknown) => void) {
  if (error instanceof HttpError) {
    return c.json({ error: { code: error.code, message: error.message, ...(error.details === undefined ? {} : { details: error.details }) } }, error.status);
  }
  if (error instanceof InputError) {
    return c.json({ error: { code: 'invalid_request', message: error.message, details: error.details } }, 400);
  }
  if (error instanceof ReplicaUnavailableError) {
    c.header('Retry-After', '5');
    return c.json({ error: { code: 'unavailable', message: error.message } }, 503);
  }
  if (isConnectionError(error)) {
    c.header('Retry-After', '5');
    return c.json({ error: { code: 'unavailable', message: 'the database is unreachable; retry shortly (nothing was accepted)' } }, 503);
  }
  log(error);
  return c.json({ error: { code: 'internal', message: 'internal error' } }, 500);
}
