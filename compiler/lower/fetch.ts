/**
 * Lowers a fetch step and checks what reads its answer. The request: an https URL (plain http to loopback only,
 * as provider endpoints), whose `{{…}}` variables are fields of the trigger's data; headers as literals or
 * environment variable names; the answer's zod schema as JSON Schema; a timeout per attempt; the failure policy.
 * The answer: `fetched.<step>.<field>` (a condition's `s.fetched(…)`, a template's `{{fetched.…}}`) must name a
 * fetch that runs before it on every path and a field of its response schema.
 */
import { judgeEndpoint } from '../bundle/endpoints.ts';
import { fetchEnvProblem } from '../bundle/fetch-env.ts';
import { originOf, URL_VARIABLE } from '../bundle/fetch-url.ts';
import { ENV_NAME, type FetchStep, type JsonValue } from '../bundle/schema.ts';
import type { FetchSpec } from '../dsl/definitions.ts';
import type { SourceLocation } from '../diagnostics/diagnostic.ts';
import type { SerialSchema } from '../load/serial.ts';
import { closest } from '../templates/closest.ts';
import { describeShape, type Shape, shapeAt, shapeFromJsonSchema } from '../templates/shape.ts';
import { durationMs } from './durations.ts';
import type { WorkflowScope } from './steps.ts';

/** Per attempt: long enough for a slow API, short enough that three attempts never hold a run for minutes. */
const DEFAULT_FETCH_TIMEOUT_MS = 5_000;
const MAX_FETCH_TIMEOUT_MS = 30_000;

type At = (...field: string[]) => () => SourceLocation;

/** The lowered step (null when it cannot be built) and its answer's shape, for the steps after it. */
export function lowerFetch(scope: WorkflowScope, spec: FetchSpec, at: At): { step: FetchStep | null; shape: Shape } {
  const { ctx } = scope;
  const head = `fetch "${spec.id}"`;
  const response = serialResponse(spec.response);
  let schema: Record<string, JsonValue> | null = null;
  if (!response)
    ctx.report('invalid-definition', at('response')(), `${head} has no response schema`, 'add response: z.object({ … }), the fields the answer must have');
  else if (!response.ok)
    ctx.report(
      'invalid-schema',
      at('response')(),
      `${head}: its response schema cannot go in the bundle: ${response.error}`,
      'remove transforms; use plain zod types',
    );
  else schema = response.jsonSchema;
  checkUrl(scope, spec, at('url'));
  const headers = lowerHeaders(scope, spec, at('headers'));
  const timeoutMs = spec.timeout === undefined ? DEFAULT_FETCH_TIMEOUT_MS : durationMs(ctx, spec.timeout, at('timeout'));
  if (timeoutMs <= 0 || timeoutMs > MAX_FETCH_TIMEOUT_MS) {
    ctx.report('bad-fetch', at('timeout')(), `${head} has a timeout of ${timeoutMs} ms`, "use more than 0 and at most '30s' per attempt");
  }
  const onError = spec.onError ?? 'fail';
  if (onError !== 'fail' && onError !== 'continue') {
    ctx.report(
      'bad-fetch',
      at('onError')(),
      `${head} has onError "${String(onError)}"`,
      "write onError: 'fail' (end the run failed) or 'continue' (go on without the answer)",
    );
  }
  const shape = schema ? shapeFromJsonSchema(schema as never) : { kind: 'any' as const };
  if (!schema) return { step: null, shape };
  const step: FetchStep = {
    kind: 'fetch',
    id: spec.id,
    url: String(spec.url),
    ...(headers ? { headers } : {}),
    response: schema,
    timeoutMs: Math.min(Math.max(timeoutMs, 1), MAX_FETCH_TIMEOUT_MS),
    onError: onError === 'continue' ? 'continue' : 'fail',
  };
  return { step, shape };
}

/** The answer's schema as it crossed from the evaluation (load/evaluate-child.ts), or null when absent. */
function serialResponse(response: unknown): SerialSchema | null {
  if (typeof response !== 'object' || response === null || !('ok' in response)) return null;
  return response as SerialSchema;
}

function checkUrl(scope: WorkflowScope, spec: FetchSpec, where: () => SourceLocation): void {
  const { ctx } = scope;
  const url = typeof spec.url === 'string' ? spec.url : '';
  // A variable stands for one path segment or query value: judge the URL with a placeholder in its place.
  const verdict = judgeEndpoint(url.replace(URL_VARIABLE, 'x'));
  if (verdict.kind === 'refused') {
    ctx.report('bad-fetch', where(), `fetch "${spec.id}": url "${url}" ${verdict.why}`, 'use https:// (plain http only to localhost, in development)');
  } else if (verdict.kind === 'loopback-http') {
    ctx.report(
      'bad-fetch',
      where(),
      `fetch "${spec.id}": url "${url}" is plain http to loopback`,
      'fine for development; use https:// in production',
      'warning',
    );
  }
  // Trigger data fills in the path and query, never the host: the origin must not depend on what a variable holds.
  const [withX, withY] = [originOf(url.replace(URL_VARIABLE, 'x')), originOf(url.replace(URL_VARIABLE, 'y'))];
  if (verdict.kind !== 'refused' && (withX === null || withX !== withY)) {
    ctx.report(
      'bad-fetch',
      where(),
      `fetch "${spec.id}": url "${url}" has a {{…}} variable in its scheme, host or port: the trigger's data would choose where the request (and its headers) go`,
      'write the scheme, host and port as text (https://api.example.com/…); variables may fill in the path and query only',
    );
  }
  for (const [, path = ''] of url.matchAll(URL_VARIABLE)) {
    if (scope.event === null) {
      ctx.report(
        'bad-fetch',
        where(),
        `fetch "${spec.id}": url reads {{${path}}}, but a scheduled workflow has no trigger data`,
        'write the URL without variables',
      );
      continue;
    }
    const schema = scope.bundle.events[scope.event]?.schema;
    if (!schema) continue; // an unknown trigger is reported where the workflow names it
    const found = fieldAt(shapeFromJsonSchema(schema as never), path.split('.'));
    if (found !== true) {
      ctx.report('bad-fetch', where(), `fetch "${spec.id}": url reads {{${path}}}, but event "${scope.event}" has no field "${found.missing}"`, found.hint);
    }
  }
}

function lowerHeaders(scope: WorkflowScope, spec: FetchSpec, where: () => SourceLocation): FetchStep['headers'] {
  if (spec.headers === undefined) return undefined;
  const out: NonNullable<FetchStep['headers']> = Object.create(null);
  for (const [name, value] of Object.entries(spec.headers)) {
    if (typeof value === 'string') out[name] = { value };
    else if (typeof value === 'object' && value !== null && value.kind === 'env' && ENV_NAME.test(value.name)) {
      // The runtime refuses these at each attempt; refusing them here fails the build instead of every run.
      const problem = fetchEnvProblem(value.name, scope.bundle);
      if (problem === null) out[name] = { env: value.name };
      else
        scope.ctx.report(
          'bad-fetch',
          where(),
          `fetch "${spec.id}": header "${name}" reads env('${value.name}'): ${problem}`,
          "read a variable of the API's own (env('SHOP_TOKEN')): Herald's settings and provider credentials never leave the runtime",
        );
    } else {
      scope.ctx.report(
        'bad-fetch',
        where(),
        `fetch "${spec.id}": header "${name}" is neither text nor env('NAME')`,
        "write a literal, or env('SHOP_TOKEN') (upper-case letters, digits, _): secrets stay out of the bundle",
      );
    }
  }
  return out;
}

/**
 * Checks a `fetched.<step>.<path>` reference against the fetches known to run before it (`fetched`: step id →
 * answer shape). Returns null when it holds, else the message and hint to report.
 */
export function fetchedProblem(ref: string, fetched: ReadonlyMap<string, Shape> | undefined): { message: string; hint: string } | null {
  const [, step = '', ...path] = ref.split('.');
  const known = fetched ?? new Map<string, Shape>();
  const shape = known.get(step);
  if (!shape) {
    const guess = closest(step, known.keys());
    return {
      message: `"${ref}" reads fetch "${step}", which does not always run before this point`,
      hint: guess ? `did you mean "${guess}"?` : 'add s.fetch(…) before it, on the same path (not inside a branch arm that may be skipped)',
    };
  }
  if (path.length === 0) return null;
  const found = fieldAt(shape, path);
  return found === true ? null : { message: `"${ref}": the response of fetch "${step}" has no field "${found.missing}"`, hint: found.hint };
}

/** Walks `path` through a shape: true, or the first missing segment with a hint. */
function fieldAt(shape: Shape, path: readonly string[]): true | { missing: string; hint: string } {
  const found = shapeAt(shape, path, 'index');
  if (found.ok) return true;
  const { index, parent } = found;
  const missing = path.slice(0, index + 1).join('.');
  if (parent.kind !== 'object') return { missing, hint: `it is ${describeShape(parent)}, which has no fields` };
  const guess = closest(path[index]!, parent.fields.keys());
  return { missing, hint: guess ? `did you mean "${guess}"?` : `known fields: ${[...parent.fields.keys()].join(', ')}` };
}
