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
import type { Context, MiddlewareHandler } from 'hono';
import type { Bundle } from '../../compiler/bundle/schema.ts';
import { isConnectionError } from '../db/pool.ts';
import {
  hasWriteKeys,
  MISSING_SIGNATURE,
  SEGMENT_SIGNATURE_HEADER,
  verifySegmentSignature,
  writeKeyFromHeader,
  writeKeyKind,
  writeKeysOf,
  type WriteKeyKind,
} from './auth.ts';
import { ingestBatch, ingestCall, type CallResult, type Ignored, type IngestDeps, type Rejected } from './ingest.ts';
import { MAX_BATCH_BYTES, MAX_EVENT_BYTES } from './limits.ts';
import { batchSchema, CALL_TYPES, describeIssues } from './schema.ts';
import { parseJsonBody } from '../http/body.ts';
import type { AppDeps } from '../http/deps.ts';
import { HttpError } from '../http/errors.ts';
import { createFeature, type Feature, type Router, type RoutePolicy } from '../http/route.ts';
import { MAX_WEBHOOK_BYTES } from '../webhooks/routes.ts';

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
      if (error instanceof HttpError)
        return segmentError(c, error.status, error.code, error.message, error.details === undefined ? {} : { details: error.details });
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
function writeKeyPolicy(deps: AppDeps, maxBytes: number, what: string): RoutePolicy {
  return {
    auth: 'segment-write-key',
    guard: writeKeyGate(deps),
    body: maxBytes,
    note: "SEGMENT_WRITE_KEY (server) or SEGMENT_BROWSER_WRITE_KEY (browser: limited), as Basic auth or the body's writeKey",
    tooLarge: (c) => {
      c.header('Connection', 'close');
      return segmentError(c, 400, 'payload_too_large', `${what} is larger than ${maxBytes / 1024} KB, Segment's limit`);
    },
  };
}

const unauthorized = (message: string) => new HttpError(401, 'unauthorized', message);
const NOT_CONFIGURED = 'neither SEGMENT_WRITE_KEY nor SEGMENT_BROWSER_WRITE_KEY is set: Herald accepts no Segment calls';
const INVALID_HEADER_KEY = 'invalid write key: send HTTP Basic auth with the source write key as user name and an empty password';

/** The kind of the write key in an `Authorization` header, or null when it is not an allowed one. */
function headerKeyKind(deps: AppDeps, header: string): WriteKeyKind | null {
  const key = writeKeyFromHeader(header);
  return key === null ? null : writeKeyKind(writeKeysOf(deps.env), key);
}

/**
 * A write key in the `Authorization` header decides on its own, before the body is even read: a caller with
 * a wrong header key learns nothing about its body. Without the header, the body's `writeKey` decides
 * (authenticatedBody), which needs the body read first.
 */
function writeKeyGate(deps: AppDeps): MiddlewareHandler {
  return async (c, next) => {
    const header = c.req.header('authorization');
    if (header !== undefined) {
      if (!hasWriteKeys(writeKeysOf(deps.env))) return segmentError(c, 401, 'unauthorized', NOT_CONFIGURED);
      if (!headerKeyKind(deps, header)) return segmentError(c, 401, 'unauthorized', INVALID_HEADER_KEY);
    }
    await next();
  };
}

/**
 * The webhook destination's guard: without a signature there is nothing to check the body against, so the
 * request is refused before the body limit reads it (a chunked body is read whole to be counted).
 */
function signatureGate(deps: AppDeps): MiddlewareHandler {
  return async (c, next) => {
    if (!deps.env.SEGMENT_SHARED_SECRET)
      return segmentError(c, 403, 'forbidden', 'SEGMENT_SHARED_SECRET is not set: Segment webhook deliveries cannot be verified, so none are accepted');
    if (!c.req.header(SEGMENT_SIGNATURE_HEADER)) return segmentError(c, 401, 'unauthorized', MISSING_SIGNATURE);
    await next();
  };
}

/**
 * The body as JSON and the kind of its write key, once the key is known to be allowed (by header, else by its
 * `writeKey` field). The header's key is checked again here, not only in writeKeyGate: its kind decides what
 * the calls may do (segment/access.ts).
 */
async function authenticatedBody(c: Context, deps: AppDeps): Promise<{ body: unknown; key: WriteKeyKind }> {
  const header = c.req.header('authorization');
  if (header !== undefined) {
    const kind = headerKeyKind(deps, header);
    if (!kind) throw unauthorized(INVALID_HEADER_KEY);
    return { body: parseJsonBody(await c.req.text()), key: kind };
  }
  const raw = await c.req.text();
  const keys = writeKeysOf(deps.env);
  if (!hasWriteKeys(keys)) throw unauthorized(NOT_CONFIGURED);
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    throw unauthorized('no write key: send HTTP Basic auth with the source write key as user name (or a "writeKey" field in a JSON body)');
  }
  const key = typeof body === 'object' && body !== null ? (body as { writeKey?: unknown }).writeKey : undefined;
  const kind = typeof key === 'string' ? writeKeyKind(keys, key) : null;
  if (!kind) throw unauthorized('missing or invalid write key');
  // Authenticated: now the same checks as every body (nesting depth, `__proto__` keys).
  return { body: parseJsonBody(raw), key: kind };
}

function liveBundle(deps: AppDeps): Bundle {
  const bundle = deps.driver.bundles.live;
  if (!bundle) throw new HttpError(503, 'unavailable', 'no bundle is loaded yet');
  return bundle;
}

function ingestDeps(deps: AppDeps): IngestDeps {
  return { intake: deps.intake, driver: deps.driver, log: deps.log };
}

/** Counts what was done, after the commit: triggers by outcome, runs by workflow. */
function observe(deps: AppDeps, results: CallResult[]): void {
  for (const result of results) {
    if (!result.ok) {
      if (result.rejected.type === 'track') deps.metrics.triggers.inc({ source: 'segment', outcome: 'rejected' });
      continue;
    }
    const outcome = result.outcome;
    if (outcome.type !== 'track') continue;
    deps.metrics.triggers.inc({ source: 'segment', outcome: outcome.duplicate ? 'duplicate' : 'accepted' });
    for (const workflow of outcome.workflows) deps.metrics.runsStarted.inc({ workflow });
  }
}

/**
 * A batch's answer: Segment's `200 { success: true }` even when some calls were refused (Segment does the
 * same, reporting them only in its debugger), with Herald's extension saying which and why, and (when any)
 * which accepted calls had something left out (`ignored`, browser keys).
 */
function batchAnswer(c: Context, results: CallResult[]) {
  const rejected: Rejected[] = [];
  const ignored: Ignored[] = [];
  let accepted = 0;
  let duplicates = 0;
  for (const r of results) {
    if (!r.ok) rejected.push(r.rejected);
    else if (r.outcome.type === 'track' && r.outcome.duplicate) duplicates++;
    else accepted++;
    if (r.ok && r.ignored) ignored.push(r.ignored);
  }
  return c.json({ success: true, herald: { accepted, duplicates, rejected, ...(ignored.length ? { ignored } : {}) } }, 200);
}

/**
 * A single call: refused is 400 with the reason (Segment would drop it silently; the sender learns why here),
 * or 403 when the key may not make it; accepted with something left out says what in `herald.ignored`.
 */
async function singleCall(c: Context, deps: AppDeps, call: unknown, key: WriteKeyKind) {
  const result = await ingestCall(ingestDeps(deps), liveBundle(deps), call, { index: 0, receivedAt: deps.driver.now(), key });
  observe(deps, [result]);
  if (!result.ok) {
    const forbidden = result.rejected.code === 'forbidden';
    return segmentError(c, forbidden ? 403 : 400, forbidden ? 'forbidden' : 'invalid_request', result.rejected.reason);
  }
  return c.json({ success: true, ...(result.ignored ? { herald: { ignored: [result.ignored] } } : {}) }, 200);
}

async function batch(c: Context, deps: AppDeps, body: unknown, key: WriteKeyKind) {
  const parsed = batchSchema.safeParse(body);
  if (!parsed.success) throw new HttpError(400, 'invalid_request', describeIssues(parsed.error));
  const defaults = { context: parsed.data.context, sentAt: parsed.data.sentAt };
  const results = await ingestBatch(ingestDeps(deps), liveBundle(deps), parsed.data.batch, { defaults, receivedAt: deps.driver.now(), key });
  observe(deps, results);
  return batchAnswer(c, results);
}

/** Segment's destination: a sub-app that runtime/http/app.ts mounts. */
export function segmentFeature(deps: AppDeps): Feature {
  return createFeature(deps, (routes) => segmentRoutes(routes, deps));
}

function segmentRoutes(routes: Router, deps: AppDeps): void {
  for (const type of CALL_TYPES) {
    routes.post(
      `/v1/${type}`,
      writeKeyPolicy(deps, MAX_EVENT_BYTES, 'the call'),
      segmentShaped(async (c) => {
        const { body, key } = await authenticatedBody(c, deps);
        // The route says what the call is, as on Segment's API (a `type` in the body does not change it).
        const call = typeof body === 'object' && body !== null && !Array.isArray(body) ? { ...body, type } : body;
        return singleCall(c, deps, call, key);
      }),
    );
  }

  routes.post(
    '/v1/batch',
    writeKeyPolicy(deps, MAX_BATCH_BYTES, 'the batch'),
    segmentShaped(async (c) => {
      const { body, key } = await authenticatedBody(c, deps);
      return batch(c, deps, body, key);
    }),
  );

  // Segment's webhook destination: one call per request, or a batch (an array, or `{ batch: [...] }`).
  // The 5 MB limit of the provider webhooks.
  routes.post(
    '/webhooks/segment',
    { auth: 'provider-signature', body: MAX_WEBHOOK_BYTES, note: 'X-Signature (HMAC-SHA1 with SEGMENT_SHARED_SECRET)', guard: signatureGate(deps) },
    segmentShaped(async (c) => {
      const secret = deps.env.SEGMENT_SHARED_SECRET!;
      const signature = c.req.header(SEGMENT_SIGNATURE_HEADER)!;
      const raw = Buffer.from(await c.req.arrayBuffer());
      const check = verifySegmentSignature(secret, signature, raw);
      if (!check.ok) throw new HttpError(check.status, check.status === 401 ? 'unauthorized' : 'forbidden', check.reason);
      const body = parseJsonBody(raw.toString('utf8'));
      // Segment signs the delivery, so its calls count as a server key's (see runtime/segment/README.md).
      if (Array.isArray(body)) return batch(c, deps, { batch: body }, 'server');
      if (typeof body === 'object' && body !== null && Array.isArray((body as { batch?: unknown }).batch)) return batch(c, deps, body, 'server');
      return singleCall(c, deps, body, 'server');
    }),
  );
}
