/**
 * The dashboard's login hardening over HTTP: sessions shared by every runtime on one database (a logout in one
 * is a logout in all), the guessing brake keyed by client address through HERALD_TRUSTED_PROXIES, blank
 * secrets, asset names that are Object's own, and the audit hook.
 */
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../runtime/audit/audit.ts';
import { createApp } from '../../runtime/http/app.ts';
import type { AppDeps } from '../../runtime/http/deps.ts';
import type { Runtime } from '../../runtime/server.ts';
import { API_KEY, startTestRuntime } from '../runtime/harness.ts';
import { get, login, overHttp, postForm, type Fetcher } from './helpers.ts';

let first: Runtime;
let second: Runtime;

beforeAll(async () => {
  first = await startTestRuntime('dashboard-login');
  second = await startTestRuntime('dashboard-login', { databaseUrl: first.config.databaseUrl! });
}, 90_000);

afterAll(async () => {
  await Promise.all([first?.stop(), second?.stop()]);
});

/** An app of its own (its own throttle) on the first runtime's database. */
function appWith(env: NodeJS.ProcessEnv, extra: Partial<AppDeps> = {}): Hono {
  return createApp({ ...first.appDeps, log: () => {}, env, ...extra });
}

/** Requests to `app` as if from a TCP peer at `peer` (the binding @hono/node-server gives a real request). */
function fromPeer(app: Hono, peer: string): Fetcher {
  return (path, init) => Promise.resolve(app.request(path, init, { incoming: { socket: { remoteAddress: peer, remoteFamily: 'IPv4' } } }));
}

const origin = () => first.deps.publicUrl;
const guess = (fetcher: Fetcher, headers: Record<string, string> = {}, secret = 'wrong-guess') =>
  postForm(fetcher, origin(), '/dashboard/login', { secret }, undefined, headers);
const right = (fetcher: Fetcher, headers: Record<string, string> = {}) => guess(fetcher, headers, API_KEY);

describe('sessions across processes', () => {
  it('refuses in every runtime a cookie logged out in one of them', async () => {
    const viaFirst = overHttp(first.url);
    const viaSecond = overHttp(second.url);
    const cookie = await login(viaFirst, first.url);
    expect((await get(viaSecond, '/dashboard', cookie)).status).toBe(200);
    expect((await postForm(viaFirst, first.url, '/dashboard/logout', {}, cookie)).status).toBe(303);
    expect((await get(viaSecond, '/dashboard', cookie)).status).toBe(302);
    expect((await get(viaSecond, '/dashboard/api/messages', cookie)).status).toBe(401);
    expect((await get(viaFirst, '/dashboard', cookie)).status).toBe(302);
  });

  it('keeps other sessions open when one logs out', async () => {
    const viaSecond = overHttp(second.url);
    const stays = await login(viaSecond, second.url);
    const leaves = await login(viaSecond, second.url);
    await postForm(viaSecond, second.url, '/dashboard/logout', {}, leaves);
    expect((await get(overHttp(first.url), '/dashboard', stays)).status).toBe(200);
  });
});

describe('the guessing brake', () => {
  it('keys on the peer address with HERALD_TRUSTED_PROXIES unset: a forged X-Forwarded-For changes nothing', async () => {
    const app = appWith({});
    const attacker = fromPeer(app, '198.51.100.1');
    for (let i = 0; i < 10; i++) expect((await guess(attacker, { 'x-forwarded-for': `203.0.113.${i}` })).status).toBe(401);
    expect((await right(attacker, { 'x-forwarded-for': '203.0.113.99' })).status).toBe(429);
    expect((await right(attacker)).status).toBe(429);
    // Another address is not locked out by them.
    expect((await right(fromPeer(app, '198.51.100.2'))).status).toBe(303);
  });

  it('keys on the right-most X-Forwarded-For address behind one trusted proxy', async () => {
    const app = appWith({ HERALD_TRUSTED_PROXIES: '1' });
    // Every request comes from the load balancer's address.
    const viaBalancer = fromPeer(app, '10.0.0.254');
    for (let i = 0; i < 10; i++) expect((await guess(viaBalancer, { 'x-forwarded-for': `forged-${i}, 203.0.113.7` })).status).toBe(401);
    // The client's address is locked out, whatever it writes to the left of the proxy's entry.
    expect((await right(viaBalancer, { 'x-forwarded-for': '203.0.113.7' })).status).toBe(429);
    expect((await right(viaBalancer, { 'x-forwarded-for': '192.0.2.1, 203.0.113.7' })).status).toBe(429);
    // Other clients behind the same balancer are not.
    expect((await right(viaBalancer, { 'x-forwarded-for': '203.0.113.7, 203.0.113.8' })).status).toBe(303);
    expect((await right(viaBalancer, { 'x-forwarded-for': '203.0.113.9' })).status).toBe(303);
  });

  it('refuses a HERALD_TRUSTED_PROXIES that is not a count, at start', () => {
    expect(() => appWith({ HERALD_TRUSTED_PROXIES: 'yes' })).toThrow(/HERALD_TRUSTED_PROXIES must be a whole number/);
    expect(() => appWith({ HERALD_TRUSTED_PROXIES: '-1' })).toThrow(/HERALD_TRUSTED_PROXIES cannot be negative/);
  });

  it('locks out a real peer over HTTP too, whatever X-Forwarded-For it sends', async () => {
    // Last in the file: the second runtime's throttle now refuses this machine's address.
    const viaSecond = overHttp(second.url);
    for (let i = 0; i < 10; i++) {
      expect(
        (await postForm(viaSecond, second.url, '/dashboard/login', { secret: `guess-${i}` }, undefined, { 'x-forwarded-for': `203.0.113.${i}` })).status,
      ).toBe(401);
    }
    const blocked = await postForm(viaSecond, second.url, '/dashboard/login', { secret: API_KEY }, undefined, { 'x-forwarded-for': '203.0.113.200' });
    expect(blocked.status).toBe(429);
    expect(blocked.cookies).toEqual([]);
    // The other runtime keeps its own count (per process).
    expect((await postForm(overHttp(first.url), first.url, '/dashboard/login', { secret: API_KEY })).status).toBe(303);
  });
});

describe('blank secrets', () => {
  it('refuses an empty or whitespace-only secret without counting it as a guess', async () => {
    const client = fromPeer(appWith({}), '198.51.100.10');
    for (const secret of ['', '   ', '\t']) {
      const r = await guess(client, {}, secret);
      expect(r.status).toBe(400);
      expect(r.cookies).toEqual([]);
      expect(r.text).toContain('Enter the API key.');
    }
    for (let i = 0; i < 10; i++) await guess(client, {}, ' ');
    expect((await right(client)).status).toBe(303);
  });

  it('refuses to start with a dashboard password of only whitespace', () => {
    expect(() => appWith({ HERALD_DASHBOARD_PASSWORD: '   ' })).toThrow(/HERALD_DASHBOARD_PASSWORD is only whitespace/);
  });

  it('turns sign-in off when there is neither an admin API key nor a password', async () => {
    const app = createApp({ ...first.appDeps, apiKey: '', log: () => {}, env: {} });
    const client = fromPeer(app, '198.51.100.11');
    expect((await get(client, '/dashboard/login')).text).toContain('Sign-in is off');
    for (const secret of ['', ' ', 'anything']) {
      const r = await guess(client, {}, secret);
      expect(r.status, JSON.stringify(secret)).toBe(403);
      expect(r.cookies).toEqual([]);
    }
  });
});

describe('assets', () => {
  it("answers 404 for names of Object's own properties", async () => {
    const http = overHttp(first.url);
    for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf']) {
      expect((await get(http, `/dashboard/assets/${name}`)).status, name).toBe(404);
    }
    expect((await get(http, '/dashboard/assets/dashboard.css')).status).toBe(200);
  });
});

describe('audit hook', () => {
  it('reports failed logins, logins and logouts with the client address, and never the secret or the session', async () => {
    const entries: AuditEntry[] = [];
    const app = appWith({ HERALD_TRUSTED_PROXIES: '1' }, { audit: (entry) => void entries.push(entry) });
    const client = fromPeer(app, '10.0.0.254');
    const from = { 'x-forwarded-for': '203.0.113.50' };
    await guess(client, from);
    const ok = await right(client, from);
    const cookie = ok.cookies.find((c) => c.startsWith('herald_dashboard='))!.split(';')[0]!;
    await postForm(client, origin(), '/dashboard/logout', {}, cookie, from);
    expect(entries.map((e) => [e.action, e.actor, e.ip])).toEqual([
      ['login_failed', 'dashboard:api-key', '203.0.113.50'],
      ['login', 'dashboard:api-key', '203.0.113.50'],
      ['logout', 'dashboard:api-key', '203.0.113.50'],
    ]);
    // The login and its logout name the same session, by a reference that is not the cookie's id.
    expect(entries[1]!.details?.session).toEqual(entries[2]!.details?.session);
    const logged = JSON.stringify(entries);
    expect(logged).not.toContain(API_KEY);
    expect(logged).not.toContain(cookie.split('.')[2]);
  });

  it('still signs in when the audit log fails, and reports its error', async () => {
    const errors: unknown[] = [];
    const app = appWith({}, { audit: () => Promise.reject(new Error('audit log down')), log: (e) => void errors.push(e) });
    expect((await right(fromPeer(app, '198.51.100.20'))).status).toBe(303);
    expect(errors).toEqual([expect.objectContaining({ message: 'audit log down' })]);
  });
});
