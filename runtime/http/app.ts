/**
 * The HTTP API (Hono): health and metrics in the open, everything under /v1 behind the API key, bodies
 * capped at 256 KB, and every error shaped by one handler.
 */
import { Hono } from 'hono';
import { bodyLimit } from './body-limit.ts';
import type { AppDeps } from './deps.ts';
import { MAX_BODY_BYTES } from './limits.ts';
import { errorResponse, HttpError } from './errors.ts';
import { requireApiKey } from './auth.ts';
import { courierRoutes } from './routes-courier.ts';
import { dashboardRoutes } from './routes-dashboard.ts';
import { eventRoutes } from './routes-events.ts';
import { inboxRoutes } from './routes-inbox.ts';
import { preferenceCenterRoutes } from './routes-preference-center.ts';
import { exportRoutes } from './routes-export.ts';
import { providerRoutes } from './routes-providers.ts';
import { runRoutes } from './routes-runs.ts';
import { segmentRoutes } from './routes-segment.ts';
import { unsubscribeRoutes } from './routes-unsubscribe.ts';
import { userRoutes } from './routes-users.ts';
import { webhookRoutes } from './routes-webhooks.ts';

export { MAX_BODY_BYTES };

export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
  app.onError((error, c) => errorResponse(error, c, deps.log));
  app.notFound((c) => c.json({ error: { code: 'not_found', message: `no route ${c.req.method} ${c.req.path}` } }, 404));

  app.use('*', async (c, next) => {
    const start = performance.now();
    await next();
    const route = c.req.routePath ?? 'unmatched';
    deps.metrics.httpDuration.observe({ method: c.req.method, route, status: String(c.res.status) }, (performance.now() - start) / 1000);
  });

  app.get('/healthz', (c) => c.json({ ok: true }));
  app.get('/readyz', async (c) => {
    const database = await deps.db.ping();
    const bundle = deps.driver.bundles.live?.version ?? null;
    // A process that is stopping takes no new work: load balancers should route around it.
    const stopping = deps.stopping?.() ?? false;
    const ok = database && bundle !== null && !stopping;
    return c.json({ ok, database, bundle, ...(stopping ? { stopping } : {}) }, ok ? 200 : 503);
  });
  app.get('/metrics', async (c) => c.text(await deps.metrics.registry.metrics(), 200, { 'content-type': deps.metrics.registry.contentType }));

  // Signed by the provider or by us, not by the API key.
  webhookRoutes(app, deps);
  unsubscribeRoutes(app, deps);
  // End-user pages and APIs, authorised by signed links or user tokens, and the dashboard with its own login.
  // Registered before the API key's middleware: /v1/inbox authenticates with a user token.
  inboxRoutes(app, deps);
  preferenceCenterRoutes(app, deps);
  dashboardRoutes(app, deps);
  // Segment's Tracking API lives under /v1 but authenticates with write keys (Basic auth), with its own
  // size limits: registered before the API key's middleware, so its handlers answer first.
  segmentRoutes(app, deps);
  // Courier's paths (/send, /messages/:id, /profiles/…), behind the same API key.
  courierRoutes(app, deps);

  app.use(
    '/v1/*',
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw new HttpError(413, 'payload_too_large', `the body is larger than ${MAX_BODY_BYTES / 1024} KB`);
      },
    }),
  );
  app.use('/v1/*', requireApiKey(deps.apiKey));
  eventRoutes(app, deps);
  exportRoutes(app, deps);
  userRoutes(app, deps);
  runRoutes(app, deps);
  providerRoutes(app, deps);
  return app;
}
