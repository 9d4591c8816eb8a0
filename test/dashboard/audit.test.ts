/**
 * The dashboard's audit log page over HTTP: entries made by a login and by the API, the action filter,
 * keyset paging newest first, refusals of queries it did not issue, and escaping of what request input put in
 * targets and details.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sql from '../../runtime/db/sql.ts';
import { exec } from '../../runtime/db/sql-client.ts';
import type { Runtime } from '../../runtime/server.ts';
import { client, startTestRuntime, type Api } from '../runtime/harness.ts';
import { get, login, overHttp, type Fetcher } from './helpers.ts';

const HOSTILE = '<script>alert("pwned")</script>';

let runtime: Runtime;
let api: Api;
let http: Fetcher;
let cookie: string;

beforeAll(async () => {
  runtime = await startTestRuntime('dashboard-audit');
  api = client(runtime);
  http = overHttp(runtime.url);
  cookie = await login(http, runtime.url);
}, 60_000);

afterAll(async () => {
  await runtime?.stop();
});

/** The rows of the audit table, as [action, target] pairs, top to bottom. */
const tableRows = (text: string) =>
  [...text.matchAll(/<tr data-id="(\d+)">[\s\S]*?<td><code>([^<]*)<\/code><\/td>\s*<td>([\s\S]*?)<\/td>/g)].map((m) => ({
    id: BigInt(m[1]!),
    action: m[2]!,
    target: m[3]!,
  }));

const olderLink = (text: string) => /<a href="([^"]+)" rel="next">Older entries/.exec(text)?.[1]?.replaceAll('&amp;', '&') ?? null;

describe('the audit log page', () => {
  it('is behind the session, and linked from the navigation', async () => {
    const anonymous = await get(http, '/dashboard/audit');
    expect(anonymous.status).toBe(302);
    expect(anonymous.location).toBe(`/dashboard/login?next=${encodeURIComponent('/dashboard/audit')}`);
    const messages = await get(http, '/dashboard', cookie);
    expect(messages.text).toContain('<a href="/dashboard/audit">Audit log</a>');
    const audit = await get(http, '/dashboard/audit', cookie);
    expect(audit.status).toBe(200);
    expect(audit.text).toContain('<a href="/dashboard/audit" aria-current="page">Audit log</a>');
  });

  it('shows the login and a preference change made through the API, newest first, with actor and client address', async () => {
    const saved = await api('PUT', '/v1/users/ada/preferences', { categories: { promotions: { sms: false } } });
    expect(saved.status).toBe(200);
    const page = await get(http, '/dashboard/audit', cookie);
    const list = tableRows(page.text);
    expect(list[0]).toMatchObject({ action: 'preferences_set', target: 'user:ada' });
    expect(list.map((r) => r.action)).toContain('login');
    expect(list.map((r) => r.id)).toEqual([...list.map((r) => r.id)].sort((a, b) => (a < b ? 1 : a > b ? -1 : 0)));
    const row = /<tr data-id="\d+">[\s\S]*?<\/tr>/.exec(page.text)![0];
    expect(row).toContain('key:default');
    expect(row).toMatch(/127\.0\.0\.1|::1/);
    expect(row).toContain('&quot;promotions&quot;');
  });

  it('filters by action, from a select of the known actions', async () => {
    const page = await get(http, '/dashboard/audit?action=login', cookie);
    expect(page.status).toBe(200);
    expect(page.text).toMatch(/<option value="login" selected>login<\/option>/);
    expect(page.text).toContain('<option value="user_deleted">user_deleted</option>');
    const list = tableRows(page.text);
    expect(list.length).toBeGreaterThan(0);
    expect(new Set(list.map((r) => r.action))).toEqual(new Set(['login']));
    const any = await get(http, '/dashboard/audit?action=', cookie);
    expect(new Set(tableRows(any.text).map((r) => r.action)).size).toBeGreaterThan(1);
  });

  it('pages older entries with a cursor, each entry once, keeping the filter', async () => {
    for (let i = 0; i < 60; i++)
      await exec(runtime.db, sql.insertAudit({ actor: 'key:test', action: 'profile_changed', target: `user:p${i}`, ip: null, details: { i } }));
    const first = await get(http, '/dashboard/audit?action=profile_changed', cookie);
    const firstRows = tableRows(first.text);
    expect(firstRows).toHaveLength(50);
    expect(firstRows[0]!.target).toBe('user:p59');
    const next = olderLink(first.text)!;
    expect(next).toMatch(/^\/dashboard\/audit\?action=profile_changed&cursor=\d+$/);
    const second = await get(http, next, cookie);
    const secondRows = tableRows(second.text);
    expect(secondRows.map((r) => r.target)).toEqual(Array.from({ length: 10 }, (_, i) => `user:p${9 - i}`));
    expect(olderLink(second.text)).toBeNull();
    expect(second.text).toContain('« Newest');
  });

  it('answers a filter or cursor it did not issue with a 400 page, not an error', async () => {
    for (const query of ['action=nope', 'cursor=abc', 'cursor=9999999999999999999', 'cursor=99999999999999999999']) {
      const page = await get(http, `/dashboard/audit?${query}`, cookie);
      expect(page.status, query).toBe(400);
      expect(page.text).toContain('Not a page of the audit log');
    }
    const api400 = await api<{ error: { code: string } }>('GET', '/v1/audit?before=9999999999999999999');
    expect(api400.status).toBe(400);
  });

  it('shows a <script> in a target or in details as text', async () => {
    const saved = await api('PUT', `/v1/users/${encodeURIComponent(HOSTILE)}/preferences`, { categories: { promotions: { email: true } } });
    expect(saved.status).toBe(200);
    await exec(runtime.db, sql.insertAudit({ actor: HOSTILE, action: 'profile_changed', target: HOSTILE, ip: HOSTILE, details: { [HOSTILE]: HOSTILE } }));
    const page = await get(http, '/dashboard/audit', cookie);
    expect(page.text).not.toContain('<script>alert');
    expect(page.text).toContain('user:&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;');
    expect(page.text).toContain('&lt;script&gt;alert(\\&quot;pwned\\&quot;)&lt;/script&gt;');
  });
});
