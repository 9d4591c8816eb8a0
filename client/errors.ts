/**
 * The client's one error type. `code` is the API's stable code (`invalid_request`, `unauthorized`,
 * `idempotency_conflict`, `unavailable`, …) or one of the client's own for failures that never got an
 * answer: `unreachable` (no connection after the retries), `unknown_event`, `not_migrated` (DB mode).
 */
export class HeraldError extends Error {
  override name = 'HeraldError';
  /** The HTTP status, or null when the error happened before or without an answer. */
  readonly status: number | null;
  readonly code: string;
  /** The API's `details` (zod issues for invalid data: `{ path, message, code }[]`). */
  readonly details?: unknown;

  constructor(status: number | null, code: string, message: string, details?: unknown, options?: { cause?: unknown }) {
    super(message, options);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}
