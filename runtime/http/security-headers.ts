/**
 * Headers every answer carries, and those every HTML page carries. A page may set its own stricter
 * Content-Security-Policy (the dashboard's, the preference center's); one that sets none gets a policy that
 * loads nothing from elsewhere and may not be framed. HSTS only when the public URL is https: a browser told
 * so over plain http would ignore it, and a development runtime on localhost must not pin https.
 */
import type { MiddlewareHandler } from 'hono';

const DEFAULT_PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
const HSTS = 'max-age=31536000; includeSubDomains';

export function securityHeaders(publicUrl: () => string): MiddlewareHandler {
  return async (c, next) => {
    await next();
    const headers = c.res.headers;
    // A Response built elsewhere may have immutable headers; ours never are, but a header is not worth a 500.
    if (Object.isFrozen(headers)) return;
    headers.set('X-Content-Type-Options', 'nosniff');
    if (publicUrl().startsWith('https://')) headers.set('Strict-Transport-Security', HSTS);
    if (!(headers.get('content-type') ?? '').toLowerCase().startsWith('text/html')) return;
    if (!headers.has('Content-Security-Policy')) headers.set('Content-Security-Policy', DEFAULT_PAGE_CSP);
    if (!headers.has('X-Frame-Options')) headers.set('X-Frame-Options', 'DENY');
    if (!headers.has('Referrer-Policy')) headers.set('Referrer-Policy', 'no-referrer');
    if (!headers.has('Cache-Control')) headers.set('Cache-Control', 'no-store');
  };
}
