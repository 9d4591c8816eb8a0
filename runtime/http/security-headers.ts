/**
 * Headers every answer carries. An HTML page gets a Content-Security-Policy that loads nothing from elsewhere
 * and may not be framed, unless it sets its own stricter one (the dashboard's, the preference center's); a
 * route that sets a header of its own (a cacheable script's Cache-Control) replaces the default. HSTS only when
 * the public URL is https: a browser told so over plain http would ignore it, and a development runtime on
 * localhost must not pin https.
 *
 * Set before the handler runs, as prepared headers: the answer is built with them, which costs the trigger path
 * nothing measurable, where reading and rewriting the finished answer's headers cost ~10% of a one-send pass.
 * On a JSON answer the page headers are inert.
 */
import type { MiddlewareHandler } from 'hono';

const DEFAULT_PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
const HSTS = 'max-age=31536000; includeSubDomains';

export function securityHeaders(publicUrl: () => string): MiddlewareHandler {
  return async (c, next) => {
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Content-Security-Policy', DEFAULT_PAGE_CSP);
    c.header('X-Frame-Options', 'DENY');
    c.header('Referrer-Policy', 'no-referrer');
    c.header('Cache-Control', 'no-store');
    if (publicUrl().startsWith('https://')) c.header('Strict-Transport-Security', HSTS);
    await next();
  };
}
