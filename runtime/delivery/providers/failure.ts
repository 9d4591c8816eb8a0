/**
 * How a provider failure becomes a `DeliveryResult`: one engine for every adapter, so "retryable" means the
 * same thing whichever SDK failed. Retryable: 408, 429, 5xx (compiler/bundle/http-retry.ts, the fetch step's
 * rule too), timeouts and connection errors (the provider may serve the next attempt, or the next provider
 * will); permanent: any other 4xx (another attempt would be refused the same way). The provider's own pause hint (Retry-After, rate-limit reset) comes back in ms.
 *
 * Results end up in the message log and in API answers, so nothing that comes out of here may carry a
 * credential: adapters hand their secrets to a `Redactor`, and only the fields picked here (a one-line
 * message, the provider's error body, a few headers) ever leave — never an SDK error object, whose request
 * config holds the Authorization header.
 */
import { isRetryableStatus } from '../../../compiler/bundle/http-retry.ts';
import type { JsonValue } from '../../../compiler/bundle/schema.ts';
import type { DeliveryResult } from './types.ts';

export type FailedDelivery = Extract<DeliveryResult, { ok: false }>;

/** Node's own codes for a connection that could not be made or broke (undici's UND_ERR_* are matched by prefix). */
const CONNECTION_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
]);

/** The code our own deadlines put on the error they destroy a request with (see `timeoutError`). */
export const DEADLINE_CODE = 'HERALD_TIMEOUT';

/**
 * The error a deadline destroys a request with. Deliberately not ETIMEDOUT: firebase-admin retries ETIMEDOUT
 * by itself (four times, with backoff), which would stretch one attempt far past its deadline.
 */
export function timeoutError(ms: number): Error {
  return Object.assign(new Error(`no answer within ${ms}ms`), { name: 'TimeoutError', code: DEADLINE_CODE });
}

/** The code an answer longer than the caller's limit fails with (runtime/outbound/fetch.ts). */
export const TOO_LARGE_CODE = 'HERALD_TOO_LARGE';

// ---------------------------------------------------------------------------------------------------------
// Headers

/** Response headers as the SDKs hand them over: a fetch `Headers`, axios' `AxiosHeaders`, or a plain object. */
export type HeaderSource = { get(name: string): unknown } | Record<string, unknown> | null | undefined;

export function headerValue(headers: HeaderSource, name: string): string | undefined {
  if (!headers || typeof headers !== 'object') return undefined;
  const lower = name.toLowerCase();
  let value: unknown;
  if (typeof headers.get === 'function') value = (headers as { get(name: string): unknown }).get(lower);
  if (value === undefined || value === null) {
    const key = Object.keys(headers).find((k) => k.toLowerCase() === lower);
    value = key === undefined ? undefined : (headers as Record<string, unknown>)[key];
  }
  if (Array.isArray(value)) value = value[0];
  if (typeof value === 'number') return String(value);
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/**
 * The provider's pause hint in ms: `Retry-After` (delta seconds or an HTTP-date) first, else a rate-limit
 * reset header — SendGrid's `X-RateLimit-Reset` is an epoch in seconds, the IETF draft's `RateLimit-Reset` a
 * delta in seconds; a value too large to be a delta is read as an epoch.
 */
export function retryAfterMs(headers: HeaderSource, now: number = Date.now()): number | undefined {
  const retryAfter = headerValue(headers, 'retry-after');
  if (retryAfter !== undefined) {
    if (/^\d+(\.\d+)?$/.test(retryAfter)) return Math.round(Number(retryAfter) * 1000);
    const at = Date.parse(retryAfter);
    if (!Number.isNaN(at)) return Math.max(0, at - now);
  }
  for (const name of ['x-ratelimit-reset', 'ratelimit-reset', 'x-rate-limit-reset']) {
    const raw = headerValue(headers, name);
    if (raw === undefined || !/^\d+(\.\d+)?$/.test(raw)) continue;
    const value = Number(raw);
    if (value > 1e12) return Math.max(0, Math.round(value - now)); // epoch in ms
    if (value > 1e9) return Math.max(0, Math.round(value * 1000 - now)); // epoch in seconds
    return Math.round(value * 1000);
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------
// Keeping credentials out

/** Keys whose values never leave, whatever provider body or header they appear in. */
const SECRET_KEY = /authorization|api[-_]?key|auth[-_]?token|access[-_]?token|refresh[-_]?token|private[-_]?key|password|secret|assertion/i;
/** Credentials recognisable by shape, in case a provider echoes one back inside a message. */
const SECRET_SHAPES: [RegExp, string][] = [
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi, '$1 [redacted]'],
  [/\bSG\.[\w-]{8,}\.[\w-]{8,}/g, '[redacted]'],
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g, '[redacted]'],
];

export interface Redactor {
  /** The text with every known secret (and anything shaped like a credential) replaced. */
  text(value: string): string;
  /** A JSON copy of a provider's answer: secrets scrubbed, secret-named keys dropped, size bounded. */
  json(value: unknown): JsonValue;
}

/** Secrets shorter than this are not searched for: replacing every "abc" would garble messages, not protect. */
const MIN_SECRET_LENGTH = 6;

export function createRedactor(secrets: (string | undefined | null)[]): Redactor {
  const known = [...new Set(secrets.filter((s): s is string => typeof s === 'string' && s.length >= MIN_SECRET_LENGTH))]
    // longest first, so a secret containing another is removed whole
    .sort((a, b) => b.length - a.length);
  const text = (value: string) => {
    let out = value;
    for (const secret of known) out = out.split(secret).join('[redacted]');
    for (const [shape, replacement] of SECRET_SHAPES) out = out.replace(shape, replacement);
    return out;
  };
  const json = (value: unknown, depth = 0): JsonValue => {
    if (value === null || value === undefined) return null;
    if (typeof value === 'string') return text(value.length > 2000 ? `${value.slice(0, 2000)}…` : value);
    if (typeof value === 'number') return Number.isFinite(value) ? value : null;
    if (typeof value === 'boolean') return value;
    if (typeof value !== 'object' || depth >= 8) return null;
    if (Array.isArray(value)) return value.slice(0, 100).map((item) => json(item, depth + 1));
    if (Buffer.isBuffer(value)) return json(value.toString('utf8'), depth);
    const out: Record<string, JsonValue> = {};
    for (const [key, item] of Object.entries(value)) {
      if (SECRET_KEY.test(key) || typeof item === 'function' || item === undefined) continue;
      out[key] = json(item, depth + 1);
    }
    return out;
  };
  return { text, json: (value) => json(value) };
}

/** A message fit for one log line: whitespace collapsed, bounded, secrets out. */
function oneLine(redactor: Redactor, message: string): string {
  const flat = redactor.text(message).replace(/\s+/g, ' ').trim();
  return flat.length > 300 ? `${flat.slice(0, 299)}…` : flat;
}

// ---------------------------------------------------------------------------------------------------------
// Building failures

export interface HttpFailureInput {
  /** The adapter kind, first word of the error line ("sendgrid", "twilio", "fcm"). */
  provider: string;
  status: number;
  headers?: HeaderSource;
  /** The provider's own code (Twilio's 21610, FCM's messaging/…); the status when absent. */
  code?: string | number;
  /** The provider's explanation. */
  message?: string;
  /** Overrides the status rule (Twilio's 20429 is a rate limit whatever the status says). */
  retryable?: boolean;
  /** The provider's answer, kept (scrubbed) as the result's `response`. */
  body?: unknown;
  invalidTokens?: string[];
  now?: number;
}

/** A provider answered with an error status. */
export function httpFailure(input: HttpFailureInput, redactor: Redactor): FailedDelivery {
  const retryable = input.retryable ?? isRetryableStatus(input.status);
  const code = input.code === undefined || input.code === '' ? String(input.status) : String(input.code);
  const wait = retryable ? retryAfterMs(input.headers, input.now) : undefined;
  const detail = input.message ? `: ${input.message}` : '';
  const codePart = code === String(input.status) ? '' : ` ${code}`;
  const response: Record<string, unknown> = { status: input.status };
  if (input.body !== undefined && input.body !== '') response.body = input.body;
  const hint = headerValue(input.headers, 'retry-after');
  if (hint !== undefined) response.retryAfter = hint;
  return {
    ok: false,
    retryable,
    // Refused credentials say nothing about the message: another account may deliver it.
    ...(input.status === 401 || input.status === 403 ? { providerFault: true } : {}),
    error: oneLine(redactor, `${input.provider} answered HTTP ${input.status}${codePart}${detail}`),
    code,
    ...(wait === undefined ? {} : { retryAfterMs: wait }),
    response: redactor.json(response),
    ...(input.invalidTokens?.length ? { invalidTokens: input.invalidTokens } : {}),
  };
}

/** A failure decided before any request (no address, no sender): never retried. */
export function permanentFailure(
  provider: string,
  code: string,
  message: string,
  extra: { invalidTokens?: string[]; providerFault?: boolean } = {},
): FailedDelivery {
  return {
    ok: false,
    retryable: false,
    error: `${provider}: ${message}`,
    code,
    ...(extra.providerFault ? { providerFault: true } : {}),
    ...(extra.invalidTokens?.length ? { invalidTokens: extra.invalidTokens } : {}),
  };
}

/** What went wrong below HTTP, found anywhere along an error's `cause` chain. */
export type TransportProblem = { kind: 'timeout'; code: string } | { kind: 'connection'; code: string } | { kind: 'unknown'; code?: string };

function* causes(error: unknown): Generator<Record<string, unknown>> {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current && typeof current === 'object' && !seen.has(current) && seen.size < 10) {
    seen.add(current);
    yield current as Record<string, unknown>;
    const errors = (current as { errors?: unknown }).errors;
    if (Array.isArray(errors)) for (const inner of errors) if (inner && typeof inner === 'object' && !seen.has(inner)) yield inner as Record<string, unknown>;
    current = (current as { cause?: unknown }).cause;
  }
}

export function transportProblem(error: unknown): TransportProblem {
  for (const e of causes(error)) {
    const code = typeof e.code === 'string' ? e.code : undefined;
    const name = typeof e.name === 'string' ? e.name : '';
    const message = typeof e.message === 'string' ? e.message : '';
    // axios reports its own timeout as ECONNABORTED "timeout of Nms exceeded"; undici as UND_ERR_*_TIMEOUT
    if (
      name === 'TimeoutError' ||
      name === 'AbortError' ||
      code === DEADLINE_CODE ||
      code === 'ETIMEDOUT' ||
      code === 'ESOCKETTIMEDOUT' ||
      /TIMEOUT$/.test(code ?? '') ||
      (code === 'ECONNABORTED' && /timeout/i.test(message))
    ) {
      return { kind: 'timeout', code: 'timeout' };
    }
    if (code && (CONNECTION_CODES.has(code) || code.startsWith('UND_ERR_'))) return { kind: 'connection', code };
  }
  const first = causes(error).next().value;
  return { kind: 'unknown', ...(typeof first?.code === 'string' ? { code: first.code } : {}) };
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return typeof error === 'string' ? error : 'unknown error';
}

/**
 * The request never got an HTTP answer (or the SDK failed before sending). Timeouts and connection errors are
 * retryable; anything else is treated as transient too, like an adapter exception in failover, unless the
 * adapter knows better (`retryableUnknown: false` for an SDK's own validation errors).
 */
export function transportFailure(
  provider: string,
  error: unknown,
  redactor: Redactor,
  options: { retryableUnknown?: boolean; invalidTokens?: string[] } = {},
): FailedDelivery {
  const problem = transportProblem(error);
  const base = { ...(options.invalidTokens?.length ? { invalidTokens: options.invalidTokens } : {}) };
  if (problem.kind === 'timeout') {
    return { ok: false, retryable: true, error: oneLine(redactor, `${provider} timed out: ${messageOf(error)}`), code: 'timeout', ...base };
  }
  if (problem.kind === 'connection') {
    return {
      ok: false,
      retryable: true,
      error: oneLine(redactor, `${provider} unreachable (${problem.code}): ${messageOf(error)}`),
      code: problem.code,
      ...base,
    };
  }
  return {
    ok: false,
    retryable: options.retryableUnknown ?? true,
    error: oneLine(redactor, `${provider} failed: ${messageOf(error)}`),
    ...(problem.code ? { code: problem.code } : {}),
    ...base,
  };
}
