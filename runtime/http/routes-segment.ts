/**
 * Segment as a source for Herald (runtime/segment/README.md):
 * - the HTTP Tracking API as Segment documents it — `POST /v1/{identify,track,page,screen,group,alias,batch}`,
 *   write-key auth, 32 KB per call and 500 KB per batch, `200 { success: true }`, errors as
 *   `{ success: false, message }` — so Segment's own libraries can point their `host` at Herald;
 * - `POST /webhooks/segment`: Segment's webhook destination, signed with `X-Signature`.
 *
 * These routes sit under /v1 but are registered before the API key's middleware (app.ts): they answer with
 * their own auth and limits, and the API key is never asked of a Segment client.
 */
import type { Context, Hono, MiddlewareHandler } from 'hono';
import { bodyLimit } from './body-limit.ts';
import type { Bundle } from '../../compiler/bundle/schema.ts';
import { isConnectionError } from '../db/pool.ts';
import { workflowsTriggeredBy } from '../driver/ingest.ts';
import { isAllowedWriteKey, SEGMENT_SIGNATURE_HEADER, verifySegmentSignature, writeKeyFromHeader, writeKeysFrom } from '../segment/auth.ts';
import { ingestBatch, ingestCall, type CallResult, type IngestDeps, type Rejected } from '../segment/ingest.ts';
import { MAX_BATCH_BYTES, MAX_EVENT_BYTES } from '../segment/limits.ts';
import { batchSchema, CALL_TYPES, describeIssues } from '../segment/schema.ts';
import { parseJsonBody } from './body.ts';
import type { AppDeps } from './deps.ts';
import { HttpError } from './errors.ts';

/** Segment's error body; `code` is Herald's (errors.ts) for callers that branch on it. */
function segmentError(c: Context, status: HttpError['status'], code: string, message: string, extra: Record<string, unknown> = {}) {
  return c.json({ success: false, message, code, ...extra }, status);
}

/** Errors in Segment's shape rather than Herald's `{ error }`: a database outage is a 503 the client retries. */
function segmentShaped(handler: (c: Context) => Promise<Response>): (c: Context) => Promise<Response> {
  return async (c) => {
    try {
      return await handler(c);
    } catch (error) {
      if (error instanceof HttpError) return segmentError(c, error.status, error.code, error.message, error.details === undefined ? {} : { details: error.details });
      if (isConnectionError(error)) {
        c.header('Retry-After', '5');
        return segmentError(c, 503, 'unavailable', 'the database is unreachable; retry shortly (calls not acknowledged may not have been applied)');
      }
      throw error;
    }
  };
}

/**
 * Segment's size limits answer 400 (its documented status), before anything is parsed. The answer may come
 * while the client is still sending the body, so the connection is closed after it: a client must not reuse
 * a socket holding the rest of a body no one will read.
 */
function sizeLimit(maxBytes: number, what: string): MiddlewareHandler {
  return bodyLimit({
    maxSize: maxBytes,
    onError: (c) => {
      c.header('Connection', 'close');
      return segmentError(c, 400, 'payload_too_large', `${what} is larger than ${maxBytes / 1024} KB, Segment's limit`);
    },
  });
}

const unauthorized = (message: string) => new HttpError(401, 'unauthorized', message);
const NOT_CONFIGURED = 'SEGMENT_WRITE_KEY is not set: Herald accepts no Segment calls';

/**
 * A write key in the `Authorization` header decides on its own, before the body is even read: a caller with
 * a wrong header key learns nothing about its body. Without the header, the body's `writeKey` decides
 * (authenticatedBody), which needs the body read first.
 */
function writeKeyGate(deps: AppDeps): MiddlewareHandler {
  return async (c, next) => {
    const header = c.req.header('authorization');
    if (header !== undefined) {
      const allowed = writeKeysFrom(deps.env.SEGMENT_WRITE_KEY);
      const key = writeKeyFromHeader(header);
      if (allowed.length === 0) return segmentError(c, 401, 'unauthorized', NOT_CONFIGURED);
      if (!key || !isAllowedWriteKey(allowed, key)) {
        return segmentError(c, 401, 'unauthorized', 'invalid write key: send HTTP Basic auth with the source write key as user name and an empty password');
      }
    }
    await next();
  };
}

/** The body as JSON, once its write key is known to be allowed (by header, else by its `writeKey` field). */
async function authenticatedBody(c: Context, deps: AppDeps): Promise<unknown> {
  const raw = await c.req.text();
  if (c.req.header('authorization') !== undefined) return parseJsonBody(raw);
  const allowed = writeKeysFrom(deps.env.SEGMENT_WRITE_KEY);
  if (allowed.length === 0) throw unauthorized(NOT_CONFIGURED);
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    throw unauthorized('no write key: send HTTP Basic auth with the source write key as user name (or a "writeKey" field in a JSON body)');
  }
  const key = typeof body === 'object' && body !== null ? (body as { writeKey?: unknown }).writeKey : undefined;
  if (typeof key !== 'string' || !isAllowedWriteKey(allowed, key)) throw unauthorized('missing or invalid write key');
  // Authenticated: now the same checks as every body (nesting depth, `__proto__` keys).
  return parseJsonBody(raw);
}

function liveBundle(deps: AppDeps): Bundle {
  const bundle = deps.driver.bundles.live;
  if (!bundle) throw new HttpError(503, 'unavailable', 'no bundle is loaded yet');
  return bundle;
}

function ingestDeps(deps: AppDeps): IngestDeps {
  return { db: deps.db, driver: deps.driver, log: deps.log };
}

/** Counts what was done, after the commit: triggers by outcome, runs by workflow. */
function observe(deps: AppDeps, bundle: Bundle, results: CallResult[]): void {
  for (const result of results) {
    if (!result.ok) {
      if (result.rejected.type === 'track') deps.metrics.triggers.inc({ source: 'segment', outcome: 'rejected' });
      continue;
    }
    const outcome = result.outcome;
    if (outcome.type !== 'track') continue;
    deps.metrics.triggers.inc({ source: 'segment', outcome: outcome.duplicate ? 'duplicate' : 'accepted' });
    if (!outcome.duplicate) for (const w of workflowsTriggeredBy(bundle, outcome.event)) deps.metrics.runsStarted.inc({ workflow: w.id });
  }
}

/**
 * A batch's answer: Segment's `200 { success: true }` even when some calls were refused (Segment does the
 * same, reporting them only in its debugger), with Herald's extension saying which and why.
 */
function batchAnswer(c: Context, results: CallResult[]) {
  const rejected: Rejected[] = [];
  let accepted = 0;
  let duplicates = 0;
  for (const r of results) {
    if (!r.ok) rejected.push(r.rejected);
    else if (r.outcome.type === 'track' && r.outcome.duplicate) duplicates++;
    else accepted++;
  }
  return c.json({ success: true, herald: { accepted, duplicates, rejected } }, 200);
}

/** A single call: refused is 400 with the reason (Segment would drop it silently; the sender learns why here). */
async function singleCall(c: Context, deps: AppDeps, call: unknown) {
  const bundle = liveBundle(deps);
  const result = await ingestCall(ingestDeps(deps), bundle, call, { index: 0, receivedAt: deps.driver.now() });
  observe(deps, bundle, [result]);
  if (!result.ok) return segmentError(c, 400, 'invalid_request', result.rejected.reason);
  return c.json({ success: true }, 200);
}

async function batch(c: Context, deps: AppDeps, body: unknown) {
  const parsed = batchSchema.safeParse(body);
  if (!parsed.success) throw new HttpError(400, 'invalid_request', describeIssues(parsed.error));
  const bundle = liveBundle(deps);
  const defaults = { context: parsed.data.context, sentAt: parsed.data.sentAt };
  const results = await ingestBatch(ingestDeps(deps), bundle, parsed.data.batch, defaults, deps.driver.now());
  observe(deps, bundle, results);
  return batchAnswer(c, results);
}

export function segmentRoutes(app: Hono, deps: AppDeps): void {
  for (const type of CALL_TYPES) {
    app.post(
      `/v1/${type}`,
      writeKeyGate(deps),
      sizeLimit(MAX_EVENT_BYTES, 'the call'),
      segmentShaped(async (c) => {
        const body = await authenticatedBody(c, deps);
        // The route says what the call is, as on Segment's API (a `type` in the body does not change it).
        const call = typeof body === 'object' && body !== null && !Array.isArray(body) ? { ...body, type } : body;
        return singleCall(c, deps, call);
      }),
    );
  }

  app.post(
    '/v1/batch',
    writeKeyGate(deps),
    sizeLimit(MAX_BATCH_BYTES, 'the batch'),
    segmentShaped(async (c) => batch(c, deps, await authenticatedBody(c, deps))),
  );

  // Segment's webhook destination: one call per request, or a batch (an array, or `{ batch: [...] }`).
  // The 5 MB limit of every /webhooks/* route applies (routes-webhooks.ts).
  app.post(
    '/webhooks/segment',
    segmentShaped(async (c) => {
      const secret = deps.env.SEGMENT_SHARED_SECRET;
      if (!secret) throw new HttpError(403, 'forbidden', 'SEGMENT_SHARED_SECRET is not set: Segment webhook deliveries cannot be verified, so none are accepted');
      const raw = Buffer.from(await c.req.arrayBuffer());
      const check = verifySegmentSignature(secret, c.req.header(SEGMENT_SIGNATURE_HEADER), raw);
      if (!check.ok) throw new HttpError(check.status, check.status === 401 ? 'unauthorized' : 'forbidden', check.reason);
      const body = parseJsonBody(raw.toString('utf8'));
      if (Array.isArray(body)) return batch(c, deps, { batch: body });
      if (typeof body === 'object' && body !== null && Array.isArray((body as { batch?: unknown }).batch)) return batch(c, deps, body);
      return singleCall(c, deps, body);
    }),
  );
}
