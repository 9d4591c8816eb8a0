/**
 * The message dashboard at /dashboard: server-rendered pages behind its own login (runtime/dashboard/). This
 * file only wires routes to the modules that do the work: auth, queries, pages, charts.
 */
import { randomUUID } from 'node:crypto';
import type { Context } from 'hono';
import { z } from 'zod';
import { assetNamed } from './assets.ts';
import { auditList, auditQuerySchema } from './audit-list.ts';
import { dashboardGuard, LOGIN_PATH, safeNext, securityHeaders } from './auth.ts';
import { decodeCursor, messageQuerySchema, toFilter, type MessageQuery } from './filters.ts';
import { urls, type Html } from './html.ts';
import { problemPage } from './layout.ts';
import { loginHandlers } from './login.ts';
import { auditPage } from './pages/audit.ts';
import { webhooksPage } from './pages/webhooks.ts';
import { endpointPanels } from '../outbox/deliveries.ts';
import { broadcastsPage } from './pages/broadcasts.ts';
import { loginPage } from './pages/login.ts';
import { messagePage } from './pages/message.ts';
import { listJson, messagesPage } from './pages/messages.ts';
import { providersPage } from './pages/providers.ts';
import { runPage } from './pages/run.ts';
import { userPage } from './pages/user.ts';
import { workflowPage, workflowsPage } from './pages/workflow.ts';
import { pointOf, sampleIntervalFrom, startProviderSeries } from './provider-series.ts';
import { messageById, messagePage as readMessagePage, runWithMessages, statusCounts, userView, withCustomPlans, workflowStats } from './queries.ts';
import { dashboardAuth } from './session.ts';
import { dashboardSessions } from './sessions.ts';
import { loginThrottle } from './throttle.ts';
import { clientAddress, trustedProxiesFrom } from '../http/client-address.ts';
import { acceptBroadcast } from '../broadcasts/accept.ts';
import { cancelBroadcast, recentBroadcasts } from '../broadcasts/broadcasts.ts';
import { requestKey } from '../intake/index.ts';
import type { Bundle } from '../../compiler/bundle/schema.ts';
import { BundleError } from '../bundles.ts';
import type { AppDeps } from '../http/deps.ts';
import { createFeature, type Feature, type Router, type RoutePolicy } from '../http/route.ts';
import { HttpError, invalid } from '../http/errors.ts';
import { lookupFresh, scanDatabase } from '../http/reads.ts';

const cursorOnly = z.object({ cursor: z.string().max(300).optional() });
/** The broadcast runs the broadcasts page shows with their progress (each is a few reads). */
const RECENT_BROADCAST_RUNS = 20;
const sendForm = z.object({ token: z.uuid() });
const broadcastNoticeSchema = z.object({ sent: z.uuid().optional(), cancelled: z.uuid().optional() });

/** The dashboard, with its own security headers: a sub-app that runtime/http/app.ts mounts. */
export function dashboardFeature(deps: AppDeps): Feature {
  return createFeature(deps, (routes) => dashboardRoutes(routes, deps));
}

function dashboardRoutes(routes: Router, deps: AppDeps): void {
  const auth = dashboardAuth({ apiKey: deps.apiKey, password: deps.env.HERALD_DASHBOARD_PASSWORD, signingSecret: deps.signingSecret });
  // Sessions are written at login and logout and read on the primary: a logout is refused everywhere at once.
  // The pages' reads go to the read replica when one is set (http/reads.ts): scans, and lookups by id with
  // the primary behind them.
  const sessions = dashboardSessions(auth, deps.db);
  const publicUrl = () => deps.driver.publicUrl;
  const login = loginHandlers({
    auth,
    sessions,
    throttle: loginThrottle(),
    trustedProxies: trustedProxiesFrom(deps.env),
    publicUrl,
    audit: deps.audit ?? ((entry) => deps.auditLog.record(entry)),
    log: deps.log,
  });
  const sampleMs = sampleIntervalFrom(deps.env);
  const series = startProviderSeries({
    intervalMs: sampleMs,
    health: deps.driver.providers.health,
    providers: () => Object.keys(deps.driver.bundles.live?.providers ?? {}),
  });

  routes.use('/dashboard/*', securityHeaders);
  // Every page is behind the session; the guard is part of each route, whatever else is registered around it.
  const guard = dashboardGuard({ sessions, apiKeys: deps.apiKeys, publicUrl });
  const tooLarge = (c: Context) => c.text('Payload too large', 413);
  const page: RoutePolicy = { auth: 'dashboard-session', body: 0, guard, note: 'session cookie (SameSite=Strict, signed with HERALD_SIGNING_SECRET)' };
  // The only bodies are the login and logout forms: a few hundred bytes.
  const form: RoutePolicy = { ...page, body: 16 * 1024, tooLarge };

  const html = (c: Context, body: Html, status: 200 | 400 | 401 | 404 | 429 = 200) => c.html(body, status);

  // ── assets and login ──
  routes.get('/dashboard/assets/:file', { auth: 'none', body: 0, note: "the dashboard's own CSS and script; unknown names are 404" }, (c) => {
    const asset = assetNamed(c.req.param('file'));
    if (!asset) return c.text('not found', 404);
    return c.body(asset.body, 200, { 'content-type': asset.type, 'cache-control': 'public, max-age=86400' });
  });

  routes.get(LOGIN_PATH, { auth: 'dashboard-login', body: 0, guard, note: 'the login form' }, (c) =>
    html(c, loginPage({ mode: auth.mode, next: safeNext(c.req.query('next')) })),
  );

  routes.post(
    LOGIN_PATH,
    {
      auth: 'dashboard-login',
      body: 16 * 1024,
      tooLarge,
      note: 'HERALD_DASHBOARD_PASSWORD or an admin key; same-origin POST only',
      rate: 'failed logins throttled per account and per client address',
      guard,
    },
    login.submit,
  );
  routes.post('/dashboard/logout', form, login.logout);

  // ── messages ──
  const parseList = (c: Context): { q: MessageQuery; after: ReturnType<typeof decodeCursor> } => {
    const parsed = messageQuerySchema.safeParse(c.req.query());
    if (!parsed.success) throw invalid(parsed.error, 'message filters');
    const after = parsed.data.cursor === undefined ? null : decodeCursor(parsed.data.cursor);
    if (parsed.data.cursor !== undefined && after === null) throw new HttpError(400, 'invalid_request', 'cursor is not one this dashboard issued');
    return { q: parsed.data, after };
  };
  const readList = async (c: Context) => {
    const { q, after } = parseList(c);
    const filter = toFilter(q, Date.now());
    const { list, counts } = await withCustomPlans(scanDatabase(c, deps), async (tx) => ({
      list: await readMessagePage(tx, filter, after, q.limit),
      counts: await statusCounts(tx, filter),
    }));
    return { q, list, counts };
  };

  routes.get('/dashboard', page, async (c) => {
    let read;
    try {
      read = await readList(c);
    } catch (error) {
      if (error instanceof HttpError && error.status === 400) return html(c, problemPage('Those filters are not valid', error.message), 400);
      throw error;
    }
    const live = deps.driver.bundles.live;
    const choices = { workflows: Object.keys(live?.workflows ?? {}).sort(), providers: Object.keys(live?.providers ?? {}).sort() };
    return html(c, messagesPage({ ...read, choices }));
  });

  routes.get('/dashboard/api/messages', { ...page, scope: 'read' }, async (c) => {
    const { list, counts } = await readList(c);
    return c.json(listJson(list, counts));
  });

  routes.get('/dashboard/messages/:id', page, async (c) => {
    const message = await lookupFresh(c, deps, (db) => messageById(db, c.req.param('id')));
    if (!message) return html(c, problemPage('No such message', `There is no message "${c.req.param('id')}".`), 404);
    return html(c, messagePage(message));
  });

  routes.get('/dashboard/runs/:id', page, async (c) => {
    const found = await lookupFresh(c, deps, (db) => runWithMessages(db, c.req.param('id')));
    if (!found) return html(c, problemPage('No such run', `There is no run "${c.req.param('id')}".`), 404);
    return html(c, runPage(found.run, found.messages));
  });

  // ── users ──
  routes.get('/dashboard/users/:userId', page, async (c) => {
    const userId = c.req.param('userId');
    const query = cursorOnly.safeParse(c.req.query());
    const after = query.success && query.data.cursor !== undefined ? decodeCursor(query.data.cursor) : null;
    if (!query.success || (query.data.cursor !== undefined && after === null))
      return html(c, problemPage('Not a page of this list', 'The cursor is not one this dashboard issued.'), 400);
    const db = scanDatabase(c, deps);
    const [view, messages] = await Promise.all([
      userView(db, deps.driver.bundles.live, userId),
      withCustomPlans(db, (tx) => readMessagePage(tx, { user: userId }, after, 50)),
    ]);
    if (!view.profile && messages.rows.length === 0 && after === null) {
      return html(c, problemPage('No such user', `No profile and no message for user "${userId}".`), 404);
    }
    return html(c, userPage({ userId, view, messages, cursor: query.data.cursor, now: Date.now() }));
  });

  // ── workflows ──
  routes.get('/dashboard/workflows', page, (c) => html(c, workflowsPage(deps.driver.bundles.live)));

  routes.get('/dashboard/workflows/:id', page, async (c) => {
    const id = c.req.param('id');
    const live = deps.driver.bundles.live;
    const asked = c.req.query('version');
    let bundle: Bundle | null = live;
    if (asked && asked !== live?.version) {
      try {
        bundle = await deps.driver.bundles.get(deps.db, asked);
      } catch (error) {
        if (error instanceof BundleError) return html(c, problemPage('No such bundle version', `Bundle ${asked} is not stored in this database.`), 404);
        throw error;
      }
    }
    const workflow = bundle?.workflows[id];
    if (!bundle || !workflow) return html(c, problemPage('No such workflow', `Workflow "${id}" is not in bundle ${bundle?.version ?? '(none live)'}.`), 404);
    const stats = await workflowStats(scanDatabase(c, deps), id, Date.now());
    return html(c, workflowPage({ id, version: bundle.version, workflow, liveVersion: live?.version ?? null, stats }));
  });

  // ── broadcasts ──
  const record = deps.audit ?? ((entry) => deps.auditLog.record(entry));
  const asDashboard = (c: Context, action: string, target: string, details: Record<string, unknown>) =>
    record({ actor: 'dashboard', action, target, ip: clientAddress(c, trustedProxiesFrom(deps.env)), details });

  routes.get('/dashboard/broadcasts', page, async (c) => {
    const notice = broadcastNoticeSchema.safeParse(c.req.query());
    const runs = await recentBroadcasts(scanDatabase(c, deps), RECENT_BROADCAST_RUNS);
    const shown = notice.success ? (notice.data.sent ? { sent: notice.data.sent } : notice.data.cancelled ? { cancelled: notice.data.cancelled } : null) : null;
    return html(c, broadcastsPage({ bundle: deps.driver.bundles.live, runs, notice: shown, token: randomUUID }));
  });

  routes.post('/dashboard/broadcasts/:id/send', { ...form, note: 'the Send button; same-origin POST only; its token is the Idempotency-Key' }, async (c) => {
    const id = c.req.param('id');
    const parsed = sendForm.safeParse(await c.req.parseBody());
    if (!parsed.success) return html(c, problemPage('Not a send from this dashboard', 'Reload the broadcasts page and press Send again.'), 400);
    let result;
    try {
      result = await acceptBroadcast(deps, { id }, requestKey(`dashboard:${parsed.data.token}`, `broadcast\0${id}\0dashboard`));
    } catch (error) {
      if (error instanceof HttpError && error.status === 404) return html(c, problemPage('No such broadcast', error.message), 404);
      throw error;
    }
    if (!result.replayed) await asDashboard(c, 'broadcast_sent', `broadcast:${id}`, { ...result.body });
    return c.redirect(urls.broadcasts(`?sent=${encodeURIComponent(result.body.runId)}#run-${result.body.runId}`), 303);
  });

  routes.post('/dashboard/broadcasts/runs/:runId/cancel', { ...form, note: 'the Cancel button; same-origin POST only' }, async (c) => {
    const runId = c.req.param('runId');
    const cancelled = z.uuid().safeParse(runId).success ? await cancelBroadcast(deps, runId) : null;
    if (!cancelled) return html(c, problemPage('No such broadcast run', `There is no broadcast run "${runId}".`), 404);
    await asDashboard(c, 'broadcast_cancelled', `broadcast-run:${runId}`, cancelled);
    return c.redirect(urls.broadcasts(`?cancelled=${encodeURIComponent(runId)}#run-${runId}`), 303);
  });

  // ── audit log ──
  routes.get('/dashboard/audit', page, async (c) => {
    const query = auditQuerySchema.safeParse(c.req.query());
    if (!query.success)
      return html(
        c,
        problemPage(
          'Not a page of the audit log',
          `The action must be one of the list's, and the cursor one this dashboard issued (${query.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}).`,
        ),
        400,
      );
    return html(c, auditPage(query.data, await auditList(scanDatabase(c, deps), query.data)));
  });

  // ── outbound webhooks (runtime/outbox/) ──
  routes.get('/dashboard/webhooks', page, async (c) => html(c, webhooksPage(await endpointPanels(scanDatabase(c, deps), 50))));

  // ── providers ──
  routes.get('/dashboard/providers', page, (c) => {
    const now = Date.now();
    const live = deps.driver.bundles.live;
    const health = deps.driver.providers.health;
    const names = new Set([...Object.keys(live?.providers ?? {}), ...health.report(now).map((r) => r.provider)]);
    const reports = health.report(now, [...names].sort());
    return html(
      c,
      providersPage({
        samples: series.samples(),
        current: reports.map(pointOf),
        totals: new Map(reports.map((r) => [r.provider, r.totals])),
        configured: live?.providers ?? {},
        now,
        intervalMs: sampleMs,
      }),
    );
  });
}
