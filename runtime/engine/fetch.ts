/**
 * The fetch step, pure: the engine asks (a `fetch` action), the driver performs the request and feeds back what
 * came of it (a `fetchResult` fact); the engine judges it, retries, records the answer once in `state.fetched`,
 * and applies the step's `onError`. A step whose answer is recorded never asks again, so a redelivered job or a
 * re-run of the same step reuses it: the run stays deterministic.
 */
import { fetchEnvProblem } from '../../compiler/bundle/fetch-env.ts';
import { originOf, URL_VARIABLE } from '../../compiler/bundle/fetch-url.ts';
import { isRetryableStatus } from '../../compiler/bundle/http-retry.ts';
import type { FetchStep, JsonValue } from '../../compiler/bundle/schema.ts';
import { responseValidator } from '../../compiler/bundle/validators.ts';
import { resolveRef } from './refs.ts';
import { blockOnTimer, end, record, resume, type Turn } from './turn.ts';
import type { FetchOutcome } from './types.ts';

/** Attempts in all: the first and two retries. */
export const FETCH_ATTEMPTS = 3;
/** The wait before retry n (after attempt n failed), unless the server's Retry-After asks for longer. */
export const FETCH_BACKOFF_MS = [1_000, 4_000] as const;
/** A Retry-After longer than this is not waited for: the attempt counts as the last (onError applies). */
export const FETCH_MAX_RETRY_AFTER_MS = 5 * 60_000;
/**
 * How long past an attempt's own deadline the run waits for its answer before counting the attempt as failed: an
 * answer can be lost (the driver's job gave up, a process died with it), and a run must not wait on it forever.
 * Longer than the pg-boss driver's retries of a fetch job whose answer could not be enqueued (~10 minutes).
 */
export const FETCH_ANSWER_GRACE_MS = 15 * 60_000;
/** How much of an answer (or of its problems) the why-log keeps. */
export const FETCH_LOG_CHARS = 1_000;

/**
 * The step's URL with each `{{field}}` of the trigger's data, URL-encoded, or why it cannot be built. Trigger data
 * must not choose where the request goes: a value that is empty, `.` or `..` is refused (`..` is a path segment that
 * climbs: /v1/users/{{id}}/orders would become /v1/orders), and the built URL must keep the origin the step's URL
 * has as written (the compiler puts variables after the host; this holds a bundle it did not check to the same).
 */
export function fetchUrl(step: FetchStep, data: Record<string, JsonValue>): { url: string } | { problem: string } {
  let problem: string | null = null;
  const url = step.url.replace(URL_VARIABLE, (_, path: string) => {
    const found = resolveRef(`data.${path}`, { data, user: { id: null, traits: {}, lastActiveAt: null, preferences: {} } });
    const value = found === undefined || found === null ? '' : typeof found === 'string' ? found : JSON.stringify(found);
    if (value === '' || value === '.' || value === '..') {
      problem ??= `{{${path}}} is ${value === '' ? 'empty or missing' : `"${value}"`} in the trigger's data: a URL variable must be a non-empty value other than "." and ".." (it must not change the path)`;
    }
    return encodeURIComponent(value);
  });
  if (problem !== null) return { problem };
  const written = originOf(step.url);
  if (written === null || originOf(url) !== written) {
    return { problem: `the URL built from the trigger's data does not keep the origin of "${step.url}": trigger data may fill in the path and query only` };
  }
  return { url };
}

/** Why one of the step's headers may not be sent (it reads a reserved or credential variable), or null. */
function headerProblem(step: FetchStep, bundle: Turn['bundle']): string | null {
  for (const [name, source] of Object.entries(step.headers ?? {})) {
    const problem = 'env' in source ? fetchEnvProblem(source.env, bundle) : null;
    if (problem) return `header "${name}": ${problem}`;
  }
  return null;
}

export function runFetch(turn: Turn, step: FetchStep): void {
  if (turn.state.fetched && Object.hasOwn(turn.state.fetched, step.id)) {
    record(turn, step.id, 'fetch', 'reused');
    return resume(turn, true);
  }
  requestFetch(turn, step, 1);
}

/**
 * Emits attempt `attempt` of the request and waits for its answer, or for the timer that counts it lost (see
 * FETCH_ANSWER_GRACE_MS; an answer that comes after it is ignored). A request that may not be made (a URL the
 * trigger's data would move, a header reading a reserved variable) fails at once, as a refused URL does.
 */
function requestFetch(turn: Turn, step: FetchStep, attempt: number): 'recorded' | 'resume' {
  const built = fetchUrl(step, turn.state.data);
  const problem = 'problem' in built ? built.problem : headerProblem(step, turn.bundle);
  if (problem !== null || !('url' in built)) {
    return applyFetchResult(turn, step, attempt, { kind: 'error', error: 'refused', message: problem ?? '' });
  }
  const { url } = built;
  turn.actions.push({ type: 'fetch', stepId: step.id, attempt, url, headers: { ...step.headers }, timeoutMs: step.timeoutMs });
  // Header names only: a value may be a secret read from the environment.
  record(turn, step.id, 'fetch', 'requesting', { url, attempt, ...(step.headers ? { headers: Object.keys(step.headers).sort() } : {}) });
  blockOnTimer(turn, step.id, 'fetch', turn.now + step.timeoutMs + FETCH_ANSWER_GRACE_MS);
  turn.state.waiting = { ...turn.state.waiting!, reply: 'fetchResult', attempt };
  return 'recorded';
}

/** The timer of a fetch wait: the answer to the attempt never came (a failed attempt), or the backoff is over. */
export function onFetchTimer(turn: Turn, step: FetchStep, waiting: { reply?: string; attempt?: number }): 'recorded' | 'resume' {
  const attempt = waiting.attempt ?? 1;
  if (waiting.reply !== 'fetchResult') return requestFetch(turn, step, attempt + 1);
  const message = `no answer to attempt ${attempt} came back within ${step.timeoutMs + FETCH_ANSWER_GRACE_MS} ms: counted as timed out`;
  return applyFetchResult(turn, step, attempt, { kind: 'error', error: 'timeout', message });
}

type Verdict =
  | { ok: true; value: JsonValue; status: number; body: string }
  | { ok: false; retry: boolean; retryAfterMs?: number; error: string; detail: Record<string, JsonValue> };

/**
 * What an outcome means: the validated answer, or an error that is worth retrying (408, 429, 5xx as for a
 * provider: compiler/bundle/http-retry.ts; a timeout, a network error) or not.
 */
function judgeFetch(step: FetchStep, outcome: FetchOutcome): Verdict {
  if (outcome.kind === 'error') {
    const retry = outcome.error === 'timeout' || outcome.error === 'network';
    return { ok: false, retry, error: outcome.error, detail: { message: cut(outcome.message) } };
  }
  const { status, body } = outcome;
  if (status < 200 || status > 299) {
    const retry = isRetryableStatus(status);
    const wait = retry ? outcome.retryAfterMs : undefined;
    const detail: Record<string, JsonValue> = { status, response: cut(body), ...(wait === undefined ? {} : { retryAfterMs: wait }) };
    return { ok: false, retry, ...(wait === undefined ? {} : { retryAfterMs: wait }), error: `http_${status}`, detail };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (error) {
    return { ok: false, retry: false, error: 'bad_json', detail: { status, message: cut((error as Error).message), response: cut(body) } };
  }
  const result = responseValidator(step.response).safeParse(parsed);
  if (!result.success) {
    const issues = result.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    return { ok: false, retry: false, error: 'schema_mismatch', detail: { status, issues, response: cut(body) } };
  }
  return { ok: true, value: declaredOnly(result.data as JsonValue, step.response), status, body };
}

/**
 * The answer cut to the fields its schema declares, as zod strips unknown keys (the compiler checks reads against
 * the same fields): the run's state keeps what the workflow can read, not a whole API payload. Where the schema
 * allows other keys (`additionalProperties`) or is a union, the value is kept as it is.
 */
function declaredOnly(value: JsonValue, schema: Record<string, unknown> | undefined): JsonValue {
  if (!schema || typeof schema !== 'object') return value;
  if (Array.isArray(value)) {
    const items = schema.items as Record<string, unknown> | undefined;
    return items ? value.map((item) => declaredOnly(item, items)) : value;
  }
  const properties = schema.properties as Record<string, Record<string, unknown>> | undefined;
  if (value === null || typeof value !== 'object' || !properties || (schema.additionalProperties !== undefined && schema.additionalProperties !== false)) {
    return value;
  }
  const out: Record<string, JsonValue> = {};
  for (const [key, field] of Object.entries(value)) if (Object.hasOwn(properties, key)) out[key] = declaredOnly(field, properties[key]);
  return out;
}

/** A `fetchResult` for the attempt the run waits on: record the answer and go on, retry later, or apply `onError`. */
export function applyFetchResult(turn: Turn, step: FetchStep, attempt: number, outcome: FetchOutcome): 'recorded' | 'resume' {
  const verdict = judgeFetch(step, outcome);
  if (verdict.ok) {
    turn.state.fetched = { ...turn.state.fetched, [step.id]: verdict.value };
    // The validated value, cut to the declared fields (what the run keeps), not the raw body: an API's answer may
    // carry fields about the user that the workflow never declared, and the why-log outlives the run.
    record(turn, step.id, 'fetch', 'fetched', { status: verdict.status, attempt, response: cut(JSON.stringify(verdict.value)) });
    resume(turn, true);
    return 'resume';
  }
  const hint = verdict.retryAfterMs;
  if (verdict.retry && attempt < FETCH_ATTEMPTS && (hint === undefined || hint <= FETCH_MAX_RETRY_AFTER_MS)) {
    const at = turn.now + Math.max(FETCH_BACKOFF_MS[attempt - 1]!, hint ?? 0);
    record(turn, step.id, 'fetch', 'retrying', { attempt, error: verdict.error, ...verdict.detail, retryAt: at });
    blockOnTimer(turn, step.id, 'fetch', at);
    turn.state.waiting = { ...turn.state.waiting!, attempt };
    return 'recorded';
  }
  record(turn, step.id, 'fetch', 'failed', { attempt, error: verdict.error, ...verdict.detail, onError: step.onError });
  if (step.onError === 'fail') {
    end(turn, 'failed', 'fetch_failed', { stepId: step.id, error: verdict.error });
    return 'recorded';
  }
  // `continue`: no `fetched.<id>`, so every condition on it is false and templates render it empty.
  resume(turn, true);
  return 'resume';
}

function cut(text: string): string {
  return text.length > FETCH_LOG_CHARS ? `${text.slice(0, FETCH_LOG_CHARS)}… (${text.length} characters)` : text;
}

/**
 * The data a send renders with: the trigger's, plus `fetched` when the run fetched anything (an event's own
 * `fetched` field keeps its place, as the compiler's template scope says: compiler/templates/scope.ts).
 */
export function templateData(state: { data: Record<string, JsonValue>; fetched?: Record<string, JsonValue> }): Record<string, JsonValue> {
  if (!state.fetched || Object.hasOwn(state.data, 'fetched')) return state.data;
  return { ...state.data, fetched: state.fetched };
}
