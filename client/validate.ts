/**
 * Checks data against the event's own zod schema before anything leaves the process, so a bad trigger
 * fails in the caller's stack with the field named — and never costs a request or aborts a transaction.
 * The runtime checks again at its door, against the schema of the bundle it runs (the authority).
 */
import type { AnyEvent } from './types.ts';
import { HeraldError } from './errors.ts';

export function validateData(definition: AnyEvent, data: unknown): void {
  const result = definition.schema.safeParse(data);
  if (result.success) return;
  const issues = result.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message, code: i.code }));
  const first = issues[0];
  throw new HeraldError(null, 'invalid_request', `data of event "${definition.name}": ${first?.path || '(root)'}: ${first?.message ?? 'invalid'}`, issues);
}

export function validateUserId(userId: unknown): asserts userId is string {
  if (typeof userId !== 'string' || userId.length === 0) throw new HeraldError(null, 'invalid_request', 'userId must be a non-empty string');
}
