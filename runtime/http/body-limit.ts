/**
 * Hono's body-limit middleware, without its cost on the common case. Hono's version first asks whether the
 * request has a body (`c.req.raw.body`), and on the Node server that question builds a full web `Request`
 * around the incoming message (tens of µs a request, most of a trigger's HTTP cost); it then only compares
 * Content-Length with the limit. A request that declares its length (and is not chunked) is checked here from
 * the header alone, so that the handler's `c.req.text()` reads the incoming message directly; the node HTTP
 * parser stops at the declared length, so the body cannot be longer. Chunked bodies, whose size is known only
 * once read, still go through Hono's middleware, which counts them as they stream and stops at the limit. A
 * request with neither header has no body at all.
 */
import type { MiddlewareHandler } from 'hono';
import { bodyLimit as honoBodyLimit } from 'hono/body-limit';

export type BodyLimitOptions = Parameters<typeof honoBodyLimit>[0];

export function bodyLimit(options: BodyLimitOptions): MiddlewareHandler {
  const streamed = honoBodyLimit(options);
  return async (c, next) => {
    const length = c.req.header('content-length');
    const chunked = c.req.header('transfer-encoding') !== undefined;
    // HTTP/1.1: a request with neither header has no body (a GET, a bare POST); nothing to count.
    if (length === undefined && !chunked) return next();
    if (length === undefined || chunked) return streamed(c, next);
    if (Number.parseInt(length, 10) > options.maxSize) return options.onError ? options.onError(c) : streamed(c, next);
    await next();
  };
}
