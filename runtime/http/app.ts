/**
 * The HTTP API (Hono). Every route is declared with its authentication, scope, body limit and rate limit
 * where it is registered (route.ts). This file holds the app-wide middleware, the routes of the process itself
 * and the core /v1 API, and mounts each feature's own sub-app (its routes and its middleware, from the
 * feature's routes.ts). Errors of every route, mounted or not, are shaped by this app's one handler.
 */
import { Hono } from 'hono';
import { isForbiddenKey } from '../../compiler/bundle/null-prototype.ts';
import { replicaStatus } from '../db/read-replica.ts';
import type { AppDeps } from './deps.ts';
import { errorResponse, HttpError } from './errors.ts';
import { createFeature, createRouter, type DeclaredRoute, type Feature, type Router, routerOptions } from './route.ts';
import { securityHeaders } from './security-headers.ts';
import { auditFeature } from '../audit/routes.ts';
import { courierFeature } from '../courier/routes.ts';
import { dashboardFeature } from '../dashboard/routes.ts';
import { eventRoutes } from './routes-events.ts';
import { inboxFeature } from '../inbox/routes.ts';
import { listsFeature } from '../lists/routes.ts';
import { fanoutsFeature } from '../recipients/routes.ts';
import { broadcastsFeature } from '../broadcasts/routes.ts';
import { preferenceCenterFeature } from '../preferences/routes.ts';
import { exportRoutes } from './routes-export.ts';
import { providerRoutes } from './routes-providers.ts';
import { runRoutes } from './routes-runs.ts';
import { segmentFeature } from '../segment/routes.ts';
import { tenantsFeature } from '../tenants/routes.ts';
import { outboxFeature } from '../outbox/routes.ts';
import { unsubscribeFeature } from '../preferences/unsubscribe-routes.ts';
import { userRoutes } from './routes-users.ts';
import { webhookFeature } from '../webhooks/routes.ts';
import { MAX_BODY_BYTES } from './limits.ts';

export { MAX_BODY_BYTES };

/** `%41`–`%5A`, `%61`–`%7A`, `%30`–`%39`: a letter or a digit, percent-encoded. */
const ENCODED_UNRESERVED = /%(?:3[0-9]|4[1-9a-f]|5[0-9a]|6[1-9a-f]|7[0-9a])/i;

/** The app and its declared routes, its features' included (the route-table test and docs/security.md read them). */
export interface HeraldApp extends Hono {
  routeTable: readonly DeclaredRoute[];
}

/** `/metrics` as Prometheus scrapes it: behind a read key here, or open on its own port (metricsApp). */
export function metricsRoute(routes: Router, deps: Pick<AppDeps, 'metrics'>, open: boolean): void {
  routes.get(
    '/metrics',
    {
      auth: open ? 'none' : 'api-key',
      ...(open ? {} : { scope: 'read' as const }),
      body: 0,
      note: open ? 'HERALD_METRICS_PORT only: keep that port off the internet' : undefined,
    },
    async (c) => c.text(await deps.metrics.registry.metrics(), 200, { 'content-type': deps.metrics.registry.contentType }),
  );
}

/** The app served on HERALD_METRICS_PORT: `/metrics` and nothing else, for a scraper inside the network. */
export function createMetricsApp(deps: Pick<AppDeps, 'metrics' | 'log'>): HeraldApp {
  const app = new Hono() as HeraldApp;
  app.onError((error, c) => errorResponse(error, c, deps.log));
  const routes = createRouter(app, { keys: [] });
  metricsRoute(routes, deps, true);
  app.routeTable = routes.table;
  return app;
}

export function createApp(deps: AppDeps): HeraldApp {
  const app = new Hono() as HeraldApp;
  app.onError((error, c) => errorResponse(error, c, deps.log));
  app.notFound((c) => c.json({ error: { code: 'not_found', message: `no route ${c.req.method} ${c.req.path}` } }, 404));

  app.use('*', async (c, next) => {
    const start = performance.now();
    await next();
    const route = c.req.routePath ?? 'unmatched';
    deps.metrics.httpDuration.observe({ method: c.req.method, route, status: String(c.res.status) }, (performance.now() - start) / 1000);
  });
  app.use(
    '*',
    securityHeaders(() => deps.driver.publicUrl),
  );
  // Ids in paths are looked up in maps: names that reach Object.prototype are no one's id. And a path that
  // percent-encodes a letter or digit (`/%6detrics`) is a probe for a check done on the raw path: no client
  // writes one, so it reaches nothing.
  app.use('*', async (c, next) => {
    if (c.req.url.includes('%') && ENCODED_UNRESERVED.test(new URL(c.req.url).pathname)) {
      throw new HttpError(
        404,
        'not_found',
        `no route ${c.req.method} ${new URL(c.req.url).pathname}: letters and digits must not be percent-encoded in a path`,
      );
    }
    const raw = c.req.path.split('/');
    const bad = raw.find((segment) => isForbiddenKey(safeDecode(segment)));
    if (bad !== undefined) throw new HttpError(404, 'not_found', `no route ${c.req.method} ${c.req.path}: "${safeDecode(bad)}" is not an id`);
    await next();
  });

  const routes = createRouter(app, routerOptions(deps));

  routes.get('/healthz', { auth: 'none', body: 0, note: 'liveness: says nothing but ok' }, (c) => c.json({ ok: true }));
  routes.get('/readyz', { auth: 'none', body: 0, note: 'readiness for load balancers: database up, bundle version' }, async (c) => {
    const [database, replica] = await Promise.all([deps.db.ping(), deps.readDb ? replicaStatus(deps.readDb) : null]);
    const bundle = deps.driver.bundles.live?.version ?? null;
    // A process that is stopping takes no new work: load balancers should route around it.
    const stopping = deps.stopping?.() ?? false;
    // The read replica is reported, not required: without it this process still accepts and runs everything.
    const ok = database && bundle !== null && !stopping;
    const reads = replica ? { replica: replica.reachable, replicaLagSeconds: replica.lagSeconds } : {};
    return c.json({ ok, database, bundle, ...reads, ...(stopping ? { stopping } : {}) }, ok ? 200 : 503);
  });
  metricsRoute(routes, deps, false);

  // Mounted after the app-wide middleware above, so that it runs for their routes too. Mounting copies each
  // sub-app's routes and middleware into this app's router in turn: the order below is the order they match in.
  const features: Feature[] = [
    // Signed by the provider or by us, not by the API key.
    webhookFeature(deps),
    unsubscribeFeature(deps),
    // End-user pages and APIs, authorised by signed links or user tokens, and the dashboard with its own login.
    inboxFeature(deps),
    preferenceCenterFeature(deps),
    dashboardFeature(deps),
    // Segment's Tracking API (write keys) and Courier's paths (API keys).
    segmentFeature(deps),
    courierFeature(deps),
    // The core API (routes-*.ts here), then the audit log.
    coreFeature(deps),
    listsFeature(deps),
    fanoutsFeature(deps),
    broadcastsFeature(deps),
    tenantsFeature(deps),
    outboxFeature(deps),
    auditFeature(deps),
  ];
  for (const feature of features) app.route('/', feature.app);
  app.routeTable = [...routes.table, ...features.flatMap((feature) => feature.routes)];
  return app;
}

/** The core API: triggers, users, runs, the event export, providers. */
function coreFeature(deps: AppDeps): Feature {
  return createFeature(deps, (routes) => {
    eventRoutes(routes, deps);
    exportRoutes(routes, deps);
    userRoutes(routes, deps);
    runRoutes(routes, deps);
    providerRoutes(routes, deps);
  });
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
