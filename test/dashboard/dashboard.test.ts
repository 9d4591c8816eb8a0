/**
 * The message dashboard over HTTP: the login (API key and password modes), sessions and CSRF, escaping of
 * everything users and providers control, filters and keyset paging against the database's own order, and
 * the page query's plan and time on 200k messages.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workflowSvg } from '../../compiler/graph/svg.ts';
import * as sql from '../../runtime/db/sql.ts';
import { createApp } from '../../runtime/http/app.ts';
import type { Runtime } from '../../runtime/server.ts';
import { sendgridKeyPair, signSendgrid } from '../fakes/sign.ts';
import { API_KEY, client, eventually, messagesOf, startTestRuntime, type Api } from '../runtime/harness.ts';
import { call, get, login, overHttp, postForm, sessionCookie, type Fetcher } from './helpers.ts';

const webhookKeys = sendgridKeyPair();
const HOSTILE = '<script>alert("pwned")</script>';

let runtime: Runtime;
let api: Api;
let http: Fetcher;
let origin: string;
let cookie: string;

beforeAll(async () => {
  // Provider health sampled every 250 ms instead of 10 s, so the charts have lines within the test.
  runtime = await startTestRuntime('dashboard', { env: { SENDGRID_WEBHOOK_PUBLIC_KEY: webhookKeys.publicKeyBase64, HERALD_DASHBOARD_SAMPLE_MS: '250' } });
  api = client(runtime);
  http = overHttp(runtime.url);
  origin = runtime.url;
  cookie = await login(http, origin);
}, 60_000);

afterAll(async () => {
  await runtime?.stop();
});

describe('auth', () => {
  it('redirects every page to the login form without a session, and answers the JSON API with 401', async () => {
    for (const path of ['/dashboard', '/dashboard/providers', '/dashboard/users/u1', '/dashboard/messages/00000000-0000-4000-8000-000000000000']) {
      const r = await get(http, path);
      expect(r.status, path).toBe(302);
      expect(r.location).toBe(`/dashboard/login?next=${encodeURIComponent(path)}`);
    }
    const api401 = await get(http, '/dashboard/api/messages');
    expect(api401.status).toBe(401);
    expect(JSON.parse(api401.text).error.code).toBe('unauthorized');
    const form = await get(http, '/dashboard/login');
    expect(form.status).toBe(200);
    expect(form.text).toMatch(/<label for="secret">API key<\/label>/);
    expect(form.text).toContain('type="password"');
  });

  it('refuses a wrong key without a cookie, and takes the right one for an HttpOnly, SameSite=Strict session cookie', async () => {
    const wrong = await postForm(http, origin, '/dashboard/login', { secret: 'not-the-key' });
    expect(wrong.status).toBe(401);
    expect(wrong.cookies).toEqual([]);
    expect(wrong.text).toContain('That is not the API key.');
    const right = await postForm(http, origin, '/dashboard/login', { secret: API_KEY });
    expect(right.status).toBe(303);
    expect(right.location).toBe('/dashboard');
    const set = right.cookies.find((c) => c.startsWith('herald_dashboard='))!;
    expect(set).toMatch(/HttpOnly/i);
    expect(set).toMatch(/SameSite=Strict/i);
    expect(set).toMatch(/Path=\/dashboard/);
    expect(set).toMatch(/Max-Age=28800/);
    const page = await get(http, '/dashboard', sessionCookie(right));
    expect(page.status).toBe(200);
    expect(page.text).toContain('<h1>Messages</h1>');
  });

  it('goes back where it was going, but never off the dashboard', async () => {
    const to = async (next: string) => (await postForm(http, origin, '/dashboard/login', { secret: API_KEY, next })).location;
    expect(await to('/dashboard/providers')).toBe('/dashboard/providers');
    expect(await to('https://evil.example/')).toBe('/dashboard');
    expect(await to('//evil.example/dashboard')).toBe('/dashboard');
    expect(await to('/dashboardevil')).toBe('/dashboard');
  });

  it('refuses posts from another origin or with no origin (CSRF), and state changes by GET do not exist', async () => {
    const none = await call(http, '/dashboard/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `secret=${API_KEY}`,
    });
    expect(none.status).toBe(403);
    expect((await postForm(http, 'https://evil.example', '/dashboard/login', { secret: API_KEY })).status).toBe(403);
    expect((await postForm(http, 'https://evil.example', '/dashboard/logout', {}, cookie)).status).toBe(403);
    expect((await get(http, '/dashboard/logout', cookie)).status).toBe(404);
  });

  it('refuses a tampered cookie, and a cookie once logged out', async () => {
    const own = await login(http, origin);
    const tampered = own.slice(0, -2) + (own.endsWith('AA') ? 'BB' : 'AA');
    expect((await get(http, '/dashboard', tampered)).status).toBe(302);
    const out = await postForm(http, origin, '/dashboard/logout', {}, own);
    expect(out.status).toBe(303);
    expect(out.location).toBe('/dashboard/login');
    expect(out.cookies.join()).toMatch(/herald_dashboard=;/);
    expect((await get(http, '/dashboard', own)).status).toBe(302);
  });

  it('lets scripts read the JSON API with the API key, but not the pages', async () => {
    const r = await get(http, '/dashboard/api/messages', undefined, { authorization: `Bearer ${API_KEY}` });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.text)).toHaveProperty('messages');
    expect((await get(http, '/dashboard', undefined, { authorization: `Bearer ${API_KEY}` })).status).toBe(302);
  });

  it('sends a strict Content-Security-Policy and no-framing headers', async () => {
    const r = await get(http, '/dashboard', cookie);
    expect(r.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(r.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(r.headers.get('x-frame-options')).toBe('DENY');
    expect(r.headers.get('cache-control')).toBe('no-store');
    // Assets are ours and only ours: every script and stylesheet comes from /dashboard/assets.
    for (const src of r.text.matchAll(/<(?:script|link)[^>]+(?:src|href)="([^"]+)"/g)) expect(src[1]).toMatch(/^\/dashboard\/assets\//);
    const js = await get(http, '/dashboard/assets/dashboard.js');
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toContain('javascript');
  });

  describe('with HERALD_DASHBOARD_PASSWORD set', () => {
    let app: ReturnType<typeof createApp>;
    let inApp: Fetcher;
    beforeAll(() => {
      app = createApp({ ...runtime.appDeps, log: () => {}, env: { HERALD_DASHBOARD_PASSWORD: 'correct horse battery staple' } });
      inApp = (path, init) => Promise.resolve(app.request(path, init));
    });

    it('takes the password, not the API key, and does not accept the API-key mode’s cookies', async () => {
      const form = await get(inApp, '/dashboard/login');
      expect(form.text).toContain('<label for="secret">Dashboard password</label>');
      const publicOrigin = runtime.deps.publicUrl;
      expect((await postForm(inApp, publicOrigin, '/dashboard/login', { secret: API_KEY })).status).toBe(401);
      const session = await login(inApp, publicOrigin, 'correct horse battery staple');
      expect((await get(inApp, '/dashboard', session)).status).toBe(200);
      // A session signed for the API-key login is not one of this configuration's.
      expect((await get(inApp, '/dashboard', cookie)).status).toBe(302);
    });

    it('stops checking after ten failures from the same client', async () => {
      const publicOrigin = runtime.deps.publicUrl;
      for (let i = 0; i < 10; i++) expect((await postForm(inApp, publicOrigin, '/dashboard/login', { secret: `guess-${i}` })).status).toBe(401);
      const blocked = await postForm(inApp, publicOrigin, '/dashboard/login', { secret: 'correct horse battery staple' });
      expect(blocked.status).toBe(429);
      expect(blocked.cookies).toEqual([]);
    });
  });
});

describe('pages', () => {
  const userId = 'esc-user';
  let emailId: string;
  let runId: string;

  beforeAll(async () => {
    await api('PUT', `/v1/users/${userId}`, { email: 'esc@example.com', traits: { note: HOSTILE, plan: 'pro' } });
    await api('POST', `/v1/users/${userId}/heartbeat`);
    await api('POST', '/v1/events', { event: 'user_signed_up', userId, properties: { first_name: `<img src=x onerror=alert(1)>`, signup_source: 'web' } });
    const messages = await eventually('the signup messages', async () => {
      const list = await messagesOf(api, userId);
      return list.length >= 3 ? list : null;
    });
    const email = messages.find((m) => m.channel === 'email')!;
    emailId = email.id;
    runId = email.runId;
    await api('POST', `/v1/messages/${emailId}/events`, { event: 'delivered' });
    // A provider webhook with something hostile in it: shown as text, never as markup.
    const body = JSON.stringify([
      {
        event: 'open',
        sg_event_id: 'dash-open-1',
        timestamp: Math.floor(Date.now() / 1000),
        herald_message_id: emailId,
        email: 'esc@example.com',
        useragent: HOSTILE,
      },
    ]);
    const timestamp = String(Math.floor(Date.now() / 1000));
    const hook = await fetch(`${runtime.url}/webhooks/sendgrid`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-twilio-email-event-webhook-signature': signSendgrid(webhookKeys.privateKey, timestamp, body),
        'x-twilio-email-event-webhook-timestamp': timestamp,
      },
      body,
    });
    expect(hook.status).toBe(200);
  }, 30_000);

  /** The page's markup, with our own script tag (the only one allowed) removed. */
  const scriptsOf = (text: string) =>
    [...text.matchAll(/<script\b[^>]*>/gi)].map((m) => m[0]).filter((tag) => !/src="\/dashboard\/assets\/dashboard\.js/.test(tag));

  it("shows a profile trait containing <script> as text on the user's page", async () => {
    const r = await get(http, `/dashboard/users/${userId}`, cookie);
    expect(r.status).toBe(200);
    // In the traits' JSON: quotes are backslashed by JSON, then everything is escaped for HTML.
    expect(r.text).toContain('&quot;note&quot;: &quot;&lt;script&gt;alert(\\&quot;pwned\\&quot;)&lt;/script&gt;&quot;');
    expect(r.text).not.toContain(HOSTILE);
    expect(scriptsOf(r.text)).toEqual([]);
    expect(r.text).toContain('esc@example.com');
    expect(r.text).toMatch(/Last active <time/);
    // Preferences: category × channel with the rule that decides.
    expect(r.text).toMatch(/<table id="preferences">/);
    expect(r.text).toContain('category-default');
    // Every channel's message in one timeline.
    for (const channel of ['email', 'push', 'inapp']) expect(r.text).toContain(`<td>${channel}</td>`);
  });

  it("shows a message's timeline, its content in a sandboxed frame, the webhook payload escaped, and its run", async () => {
    const r = await eventually('the open on the message page', async () => {
      const page = await get(http, `/dashboard/messages/${emailId}`, cookie);
      return page.text.includes('dash-open-1') ? page : null;
    });
    expect(r.status).toBe(200);
    expect(r.text).toMatch(/<ol class="stages"/);
    for (const stage of ['queued', 'sent', 'delivered', 'opened']) expect(r.text).toMatch(new RegExp(`<li class="reached"><strong>${stage}</strong><time`));
    // The template escaped the name once (Handlebars); the srcdoc attribute escapes the whole HTML again.
    // (The example's layout frames the body.)
    expect(r.text).toMatch(/<iframe class="email-frame" sandbox="" srcdoc="[^"]*&lt;p&gt;Hi &amp;lt;img src&amp;#x3D;x/);
    expect(r.text).not.toContain('<img src=x');
    expect(r.text).toContain('Webhook payload');
    expect(r.text).toContain('&quot;useragent&quot;: &quot;&lt;script&gt;alert(\\&quot;pwned\\&quot;)&lt;/script&gt;&quot;');
    expect(r.text).not.toContain(HOSTILE);
    expect(scriptsOf(r.text)).toEqual([]);
    expect(r.text).toContain(`href="/dashboard/runs/${runId}"`);
    const run = await get(http, `/dashboard/runs/${runId}`, cookie);
    expect(run.status).toBe(200);
    expect(run.text).toContain('welcome-all');
    expect(run.text).toContain(`href="/dashboard/messages/${emailId}"`);
  });

  it('escapes odd user ids in links and text', async () => {
    const odd = '<b>odd</b> & "quoted"';
    await api('PUT', `/v1/users/${encodeURIComponent(odd)}`, { email: 'odd@example.com' });
    const r = await get(http, `/dashboard/users/${encodeURIComponent(odd)}`, cookie);
    expect(r.status).toBe(200);
    expect(r.text).toContain('User &lt;b&gt;odd&lt;/b&gt; &amp; &quot;quoted&quot;');
    expect(r.text).not.toContain('<b>odd</b>');
  });

  it("draws the workflow with the compiler's SVG, step counts, runs in flight and bundle versions", async () => {
    const r = await get(http, '/dashboard/workflows/welcome-everywhere', cookie);
    expect(r.status).toBe(200);
    const svg = r.text.match(/<svg xmlns[\s\S]*?<\/svg>/)![0];
    const withoutCounts = svg.replace(/<g class="run-counts">[\s\S]*?<\/g>\n(?=<\/svg>)/, '');
    expect(`${withoutCounts}\n`).toBe(workflowSvg(runtime.deps.bundles.live!.workflows['welcome-everywhere']!));
    expect(svg).toMatch(/<g class="run-count">.*?>\d+ runs?</);
    expect(r.text).toMatch(/<tr data-step="welcome-all"><th scope="row">welcome-all<\/th><td>send<\/td><td>[1-9]\d*<\/td>/);
    expect(r.text).toContain('<table id="bundles">');
    expect(r.text).toContain('<span class="badge tone-ok">live</span>');
    const list = await get(http, '/dashboard/workflows', cookie);
    expect(list.text).toContain('href="/dashboard/workflows/onboarding"');
  });

  it('shows runs in flight on the workflow page', async () => {
    await api('PUT', '/v1/users/inflight-user', { email: 'inflight@example.com' });
    await api('POST', '/v1/events', { event: 'trial_started', userId: 'inflight-user', properties: { first_name: 'Ada', plan_type: 'pro' } });
    const r = await eventually('an onboarding run waiting for the open', async () => {
      const page = await get(http, '/dashboard/workflows/onboarding', cookie);
      return /welcome-opened <span class="muted">\(waitFor\)<\/span>/.test(page.text) ? page : null;
    });
    expect(r.text).toContain('<table id="runs-in-flight">');
    expect(r.text).toMatch(/<tr data-step="welcome-opened"><th scope="row">welcome-opened<\/th><td>waitFor<\/td><td>[1-9]\d*<\/td><td>[1-9]\d*<\/td>/);
  });

  it('charts provider health as inline SVG', async () => {
    const r = await get(http, '/dashboard/providers', cookie);
    expect(r.status).toBe(200);
    expect(r.text).toContain('<table id="providers-now">');
    expect(r.text).toMatch(/<svg viewBox="[^"]+" width="480" height="170" role="img" aria-labelledby="p\d+-success-title p\d+-success-desc"/);
    expect(r.text).toMatch(/<polyline points="[\d., ]+"/);
    expect(r.text).toContain('sendgrid: circuit breaker');
  });

  it('answers unknown things with a 404 page', async () => {
    expect((await get(http, '/dashboard/messages/not-a-uuid', cookie)).status).toBe(404);
    expect((await get(http, '/dashboard/messages/00000000-0000-4000-8000-000000000000', cookie)).status).toBe(404);
    expect((await get(http, '/dashboard/runs/00000000-0000-4000-8000-000000000000', cookie)).status).toBe(404);
    expect((await get(http, '/dashboard/users/nobody-at-all', cookie)).status).toBe(404);
    expect((await get(http, '/dashboard/workflows/nope', cookie)).status).toBe(404);
    expect((await get(http, '/dashboard/workflows/onboarding?version=sha256:nope', cookie)).status).toBe(404);
  });
});

describe('filters and keyset paging', () => {
  const WF = 'synthetic-paging';
  const N = 360;
  type Row = { id: string; channel: string; status: string; provider: string | null; user_id: string; created_at: string };
  let all: Row[];

  beforeAll(async () => {
    // Groups of three rows share one timestamp exactly (the id breaks the tie), and neighbouring groups are a
    // microsecond apart: a cursor rounded to milliseconds, or ordered without the id, would skip or repeat rows.
    await runtime.db.query(
      `INSERT INTO herald.messages (id, run_id, step_id, channel, workflow, template, user_id, provider, status, created_at)
       SELECT gen_random_uuid(), gen_random_uuid(), 'step', (ARRAY['email','sms','push','inapp'])[1 + i % 4], $1, 't',
         'paging-user-' || (i % 3), CASE WHEN i % 5 = 0 THEN NULL ELSE (ARRAY['sendgrid','twilio'])[1 + i % 2] END,
         (ARRAY['sent','delivered','failed','opened','skipped','queued'])[1 + i % 6],
         timestamptz '2020-06-01 12:00:00+00' + (i / 3) * interval '1 microsecond' + (i / 30) * interval '1 millisecond'
       FROM generate_series(1, $2::int) AS i`,
      [WF, N],
    );
    all = (
      await runtime.db.query<Row>(
        `SELECT id, channel, status, provider, user_id, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS created_at
         FROM herald.messages WHERE workflow = $1 ORDER BY created_at DESC, id DESC`,
        [WF],
      )
    ).rows;
    expect(all).toHaveLength(N);
  });

  async function pageThrough(query: string, limit: number): Promise<string[]> {
    const ids: string[] = [];
    let next: string | null = null;
    for (let pages = 0; pages <= N; pages++) {
      const r = await get(http, `/dashboard/api/messages?range=all&workflow=${WF}&limit=${limit}${query}${next ? `&cursor=${next}` : ''}`, cookie);
      expect(r.status).toBe(200);
      const body = JSON.parse(r.text) as { messages: { id: string }[]; next: string | null };
      expect(body.messages.length).toBeLessThanOrEqual(limit);
      ids.push(...body.messages.map((m) => m.id));
      next = body.next;
      if (!next) return ids;
      expect(body.messages).toHaveLength(limit);
    }
    throw new Error('too many pages');
  }

  it('pages through every message exactly once, in the database order', async () => {
    expect(await pageThrough('', 37)).toEqual(all.map((r) => r.id));
    expect(await pageThrough('', 1).then((ids) => ids.length)).toBe(N);
    // An exact multiple of the page size ends without an empty last page.
    expect(await pageThrough('', 40)).toEqual(all.map((r) => r.id));
  }, 60_000);

  it('filters by channel, status, provider and user, alone and together', async () => {
    const cases: [string, (r: Row) => boolean][] = [
      ['&channel=sms', (r) => r.channel === 'sms'],
      ['&status=failed', (r) => r.status === 'failed'],
      ['&provider=twilio', (r) => r.provider === 'twilio'],
      ['&user=paging-user-1', (r) => r.user_id === 'paging-user-1'],
      ['&channel=email&status=failed', (r) => r.channel === 'email' && r.status === 'failed'],
      ['&channel=push&provider=sendgrid&user=paging-user-2', (r) => r.channel === 'push' && r.provider === 'sendgrid' && r.user_id === 'paging-user-2'],
    ];
    for (const [query, keep] of cases) {
      const expected = all.filter(keep).map((r) => r.id);
      expect(expected.length, query).toBeGreaterThan(0);
      expect(await pageThrough(query, 13), query).toEqual(expected);
    }
  }, 60_000);

  it('filters by time range (from inclusive, until exclusive; UTC)', async () => {
    // The form's bounds are to the millisecond at most (a JS Date's precision); rows are to the microsecond.
    const from = all[250]!.created_at.slice(0, 23);
    const to = all[40]!.created_at.slice(0, 23);
    const expected = all.filter((r) => r.created_at >= `${from}000` && r.created_at < `${to}000`).map((r) => r.id);
    expect(expected.length).toBeGreaterThan(100);
    expect(await pageThrough(`&from=${from}&to=${to}`, 50)).toEqual(expected);
  });

  it('counts by status under the other filters', async () => {
    const r = JSON.parse((await get(http, `/dashboard/api/messages?range=all&workflow=${WF}&channel=email&status=sent`, cookie)).text) as {
      counts: { byStatus: Record<string, number>; total: number; capped: boolean };
    };
    const email = all.filter((m) => m.channel === 'email');
    const expected: Record<string, number> = {};
    for (const m of email) expected[m.status] = (expected[m.status] ?? 0) + 1;
    expect(r.counts).toEqual({ byStatus: expected, total: email.length, capped: false });
  });

  it('renders the same pages as HTML, with working "older" links and filters kept', async () => {
    const first = await get(http, `/dashboard?range=all&workflow=${WF}&channel=inapp`, cookie);
    expect(first.status).toBe(200);
    const ids = [...first.text.matchAll(/<tr data-id="([^"]+)">/g)].map((m) => m[1]);
    const expected = all.filter((r) => r.channel === 'inapp').map((r) => r.id);
    expect(ids).toEqual(expected.slice(0, 50));
    const older = first.text.match(/<a href="([^"]+)" rel="next">/)![1]!.replace(/&amp;/g, '&');
    expect(older).toContain('channel=inapp');
    const second = await get(http, older, cookie);
    expect([...second.text.matchAll(/<tr data-id="([^"]+)">/g)].map((m) => m[1])).toEqual(expected.slice(50, 100));
    expect(first.text).toContain('data-live="/dashboard/api/messages?workflow=synthetic-paging&amp;channel=inapp&amp;range=all"');
    expect(second.text).not.toContain('data-live=');
  });

  it('refuses filters and cursors it did not make', async () => {
    expect((await get(http, '/dashboard?status=bogus', cookie)).status).toBe(400);
    expect((await get(http, '/dashboard?cursor=bm9wZQ', cookie)).status).toBe(400);
    expect((await get(http, '/dashboard/api/messages?from=yesterday', cookie)).status).toBe(400);
    expect((await get(http, '/dashboard/api/messages?limit=100000', cookie)).status).toBe(400);
  });
});

describe('the page query at 200k messages', () => {
  const ROWS = Number(process.env.HERALD_DASHBOARD_EXPLAIN_ROWS ?? 200_000);
  let big: Runtime;

  beforeAll(async () => {
    big = await startTestRuntime('dashboard_explain');
    const started = performance.now();
    // A month of traffic: 12 workflows (and a rare one), 4 channels, 5 providers, 20k users, and statuses as
    // skewed as real ones (most delivered, a few percent failed or bounced, a handful undeliverable).
    // In chunks: one statement must finish within the pool's query timeout (15 s), even for a million rows.
    for (let start = 1; start <= ROWS; start += 100_000) {
      await big.db.query(
        `INSERT INTO herald.messages (id, run_id, step_id, channel, workflow, template, user_id, provider, status, reason, history, created_at)
         SELECT gen_random_uuid(), gen_random_uuid(), 'step-' || (i % 3), (ARRAY['email','sms','push','inapp'])[1 + i % 4],
           CASE WHEN i % 1000 = 7 THEN 'workflow-rare' ELSE 'workflow-' || (i % 12) END, 'template', 'user-' || (i % 20000),
           CASE WHEN b BETWEEN 900 AND 959 THEN NULL ELSE (ARRAY['sendgrid','sandbox-email','twilio','fcm','inbox'])[1 + i % 5] END,
           CASE WHEN b < 600 THEN 'delivered' WHEN b < 750 THEN 'opened' WHEN b < 850 THEN 'sent' WHEN b < 900 THEN 'clicked'
                WHEN b < 960 THEN 'skipped' WHEN b < 980 THEN 'failed' WHEN b < 990 THEN 'bounced' WHEN b < 995 THEN 'queued'
                ELSE 'undeliverable' END,
           NULL, '[{"status":"queued"}]'::jsonb,
           now() - (i * interval '13 seconds')
         FROM (SELECT i, (i::bigint * 7919) % 1000 AS b FROM generate_series($1::int, $2::int) AS i) AS g`,
        [start, Math.min(ROWS, start + 99_999)],
      );
    }
    await big.db.query('ANALYZE herald.messages');
    console.log(`inserted ${ROWS} messages in ${Math.round(performance.now() - started)} ms`);
  }, 600_000);

  afterAll(async () => {
    await big?.stop();
  });

  type PlanNode = { 'Node Type': string; 'Index Name'?: string; 'Actual Rows'?: number; 'Rows Removed by Filter'?: number; Plans?: PlanNode[] };
  type Explained = { Plan: PlanNode; 'Execution Time': number };
  const nodes = (plan: PlanNode): PlanNode[] => [plan, ...(plan.Plans ?? []).flatMap(nodes)];
  const literal = (v: unknown) => (typeof v === 'number' ? String(v) : `'${String(v).replace(/'/g, "''")}'`);

  /**
   * EXPLAIN ANALYZE of the statement as a prepared statement, planned for its values (custom: what the
   * dashboard runs, see sql.dashboardCustomPlans) or for any value (generic: what a named statement of
   * pool.ts could settle on otherwise; checked too, and reported for contrast).
   */
  async function explain(statement: { text: string; values: unknown[] }, mode: 'custom' | 'generic'): Promise<Explained> {
    return big.db.transaction(async (tx) => {
      await tx.query(`SET LOCAL plan_cache_mode = force_${mode}_plan`);
      await tx.query(`PREPARE dashboard_explain AS ${statement.text}`);
      try {
        const args = statement.values.length ? `(${statement.values.map(literal).join(', ')})` : '';
        const r = await tx.query<{ 'QUERY PLAN': [Explained] }>(`EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE dashboard_explain${args}`);
        return r.rows[0]!['QUERY PLAN'][0];
      } finally {
        await tx.query('DEALLOCATE dashboard_explain');
      }
    });
  }

  /** Name, filter, and the index a selective value must be served by (null: the planner may pick). */
  const filters: [string, sql.DashboardMessageFilter, string | null][] = [
    ['no filter', {}, 'messages_by_time'],
    ['status (2%)', { status: 'failed' }, null],
    ['status (0.5%)', { status: 'undeliverable' }, 'messages_by_status'],
    ['workflow (1 in 12)', { workflow: 'workflow-7' }, null],
    ['workflow (0.1%)', { workflow: 'workflow-rare' }, 'messages_by_workflow'],
    ['channel', { channel: 'sms' }, null],
    ['provider', { provider: 'twilio' }, null],
    ['user', { user: 'user-4242' }, 'messages_by_user'],
    ['status + last 7 days', { status: 'bounced', from: new Date(Date.now() - 7 * 86_400_000) }, null],
    ['workflow + status', { workflow: 'workflow-3', status: 'failed' }, null],
  ];

  it('serves every filtered page from an index in page order: no sequential scan, no sort of the table', async () => {
    const parentIndex = new Map(
      (
        await big.db.query<{ child: string; parent: string }>(
          `SELECT c.relname AS child, p.relname AS parent FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
           JOIN pg_class p ON p.oid = i.inhparent WHERE c.relkind = 'i'`,
        )
      ).rows.map((r) => [r.child, r.parent]),
    );
    // A cursor in the middle of the table: the page after it must not read what comes before.
    const middle = (
      await big.db.query<{ at: string; id: string }>(
        `SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at, id FROM herald.messages ORDER BY created_at DESC, id DESC OFFSET $1 LIMIT 1`,
        [Math.floor(ROWS / 2)],
      )
    ).rows[0]!;
    const report: Record<string, unknown> = { rows: ROWS };
    for (const [name, filter, index] of filters) {
      for (const after of [null, middle]) {
        const statement = sql.dashboardMessagesPage(filter, after, 51);
        const label = `${name}${after ? ' after cursor' : ''}`;
        const entry: Record<string, unknown> = {};
        for (const mode of ['custom', 'generic'] as const) {
          const explained = await explain(statement, mode);
          const plan = nodes(explained.Plan);
          const shape = `${label} (${mode} plan): ${plan.map((n) => `${n['Node Type']}${n['Index Name'] ? ` on ${n['Index Name']}` : ''}`).join(' > ')}`;
          // A day not yet written (the days ahead) is an empty partition, which the planner rightly reads whole:
          // a sequential scan may only ever read nothing.
          for (const scan of plan.filter((n) => n['Node Type'] === 'Seq Scan')) {
            expect((scan['Actual Rows'] ?? 0) + (scan['Rows Removed by Filter'] ?? 0), `${shape}: rows a sequential scan read`).toBe(0);
          }
          expect(
            plan.some((n) => n['Index Name'] !== undefined),
            shape,
          ).toBe(true);
          // A sort may only ever see a handful of rows (one user's few messages, found by their index), never the table.
          for (const sort of plan.filter((n) => n['Node Type'].endsWith('Sort'))) {
            expect(sort.Plans?.[0]?.['Actual Rows'] ?? Infinity, `${shape}: rows into the sort`).toBeLessThanOrEqual(1000);
          }
          // The log is partitioned by day: a partition's index counts as the partitioned table's index it belongs to.
          if (mode === 'custom' && index)
            expect(
              plan.map((n) => n['Index Name'] && (parentIndex.get(n['Index Name']) ?? n['Index Name'])),
              shape,
            ).toContain(index);
          expect(explained['Execution Time'], shape).toBeLessThan(100);
          entry[mode] = {
            index: plan
              .map((n) => n['Index Name'])
              .filter(Boolean)
              .join(','),
            ms: explained['Execution Time'],
          };
        }
        // The page through the runtime's own pool (a named prepared statement, warm): what a request pays.
        const times: number[] = [];
        for (let i = 0; i < 15; i++) {
          const t0 = performance.now();
          await big.db.query(statement.text, statement.values);
          times.push(performance.now() - t0);
        }
        times.sort((a, b) => a - b);
        entry.poolMedianMs = Math.round(times[7]! * 100) / 100;
        report[label] = entry;
      }
    }
    // Counts by status read at most the newest 100k matches: bounded, and timed here too.
    for (const [name, filter] of filters) {
      const statement = sql.dashboardStatusCounts(filter, 100_000);
      const t0 = performance.now();
      await big.db.query(statement.text, statement.values);
      report[`counts: ${name}`] = { ms: Math.round((performance.now() - t0) * 100) / 100 };
    }
    // The whole request, end to end (page + counts + JSON), as the live list polls it.
    const session = await login(overHttp(big.url), big.url);
    for (const query of ['', '?status=failed', '?workflow=workflow-rare']) {
      const request: number[] = [];
      for (let i = 0; i < 10; i++) {
        const t0 = performance.now();
        const r = await get(overHttp(big.url), `/dashboard/api/messages${query}`, session);
        expect(r.status).toBe(200);
        request.push(performance.now() - t0);
      }
      request.sort((a, b) => a - b);
      report[`GET /dashboard/api/messages${query} (median ms)`] = Math.round(request[5]! * 10) / 10;
    }
    mkdirSync('test/artifacts', { recursive: true });
    writeFileSync(`test/artifacts/dashboard-explain-${ROWS}.json`, `${JSON.stringify(report, null, 2)}\n`);
    console.log(JSON.stringify(report, null, 2));
  }, 600_000);
});
