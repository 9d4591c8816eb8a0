/**
 * The abuse corpus: what an attacker sends a runtime on the internet, generated for every route of the route
 * table (read from docs/security.md, which route-table.test.ts keeps equal to the code). Each case is one
 * request and the statuses it may get; none may be a 5xx, and none may store anything. Categories:
 *
 * - pollution: `__proto__` / `constructor` / `prototype` as JSON keys, query keys, form fields, ids;
 * - oversized: one byte past each route's declared body limit, declared and streamed;
 * - tokens: forged, expired, tampered and cross-kind signed links, inbox tokens, dashboard cookies;
 * - pathological: long and backtracking-prone strings wherever a pattern reads input;
 * - scope: each API key scope against every API-key route.
 *
 * Slow bodies (slowloris) and live-stream floods are not single requests: abuse.test.ts and the fault suite
 * run them beside the corpus.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createLinkSigner } from '../../runtime/render/index.ts';
import { signInboxToken } from '../../runtime/inbox/token.ts';
import { sampleParams } from './support.ts';

export const ABUSE_CATEGORIES = ['pollution', 'oversized', 'tokens', 'pathological', 'scope'] as const;
export type AbuseCategory = (typeof ABUSE_CATEGORIES)[number];

export interface AbuseCase {
  category: AbuseCategory;
  name: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  /** A string is sent with its Content-Length; an array of chunks is streamed (chunked). */
  body?: string | Buffer[];
  expect: number[];
}

export interface TableRoute {
  method: string;
  path: string;
  auth: string;
  scope: string | null;
  /** Bytes; 0 when the route reads no body. */
  body: number;
}

const DOC = fileURLToPath(new URL('../../docs/security.md', import.meta.url));

/** The route table as docs/security.md states it. */
export function tableRoutes(): TableRoute[] {
  const doc = readFileSync(DOC, 'utf8');
  const routes: TableRoute[] = [];
  for (const line of doc.split('\n')) {
    const cells = line.split(' | ').map((c) => c.replace(/^\|\s*|\s*\|$/g, '').trim());
    if (cells.length < 6 || !/^(GET|POST|PUT|DELETE)$/.test(cells[0]!)) continue;
    const [method, path, auth, scope, limit] = cells as [string, string, string, string, string];
    const size = /^([\d.]+) (KB|MB)$/.exec(limit);
    routes.push({
      method,
      path: path.replaceAll('`', ''),
      auth,
      scope: scope === '—' ? null : scope,
      body: size ? Number(size[1]) * (size[2] === 'MB' ? 1024 * 1024 : 1024) : 0,
    });
  }
  return routes;
}

export interface AbuseSecrets {
  /** Keys by scope. */
  keys: { admin: string; trigger: string; read: string };
  signingSecret: string;
  inboxSecret: string;
  segmentWriteKey: string;
  /** A user that exists, with an inbox, and a second one whose things the first must never reach. */
  victim: string;
  attacker: string;
  /** An inbox item of the victim's. */
  victimItem: string;
  now: number;
}

const POLLUTION_JSON = [
  '{"__proto__":{"polluted":"yes","admin":true}}',
  '{"constructor":{"prototype":{"polluted":"yes"}}}',
  '{"prototype":{"polluted":"yes"},"categories":{"__proto__":{"sms":false}}}',
  '{"traits":{"__proto__":{"polluted":"yes"}},"topics":{"constructor":{"status":"OPTED_OUT"}}}',
];
const POLLUTION_QUERY = '?__proto__[polluted]=yes&constructor[prototype][polluted]=yes&__proto__.polluted=yes';
const FORBIDDEN_IDS = ['__proto__', 'constructor', 'prototype', '%5F%5Fproto%5F%5F', 'construct%6Fr'];
/** Names of Object.prototype's methods are ordinary ids (the maps they are looked up in have no prototype). */
const ORDINARY_IDS = ['toString', 'hasOwnProperty', 'valueOf'];

const json = { 'content-type': 'application/json' };
const anyStatus4xx = [400, 401, 403, 404, 409, 413, 422, 429];

function authFor(route: TableRoute, s: AbuseSecrets): Record<string, string> {
  if (route.auth === 'API key') return { authorization: `Bearer ${s.keys.admin}` };
  if (route.auth === 'Segment write key') return { authorization: `Basic ${Buffer.from(`${s.segmentWriteKey}:`).toString('base64')}` };
  if (route.auth === 'inbox user token') return { authorization: `Bearer ${signInboxToken(s.inboxSecret, s.attacker, 3600, s.now)}` };
  return {};
}

/** The route's path for the attacker: signed links are the attacker's own, valid ones. */
function pathFor(route: TableRoute, s: AbuseSecrets): string {
  const links = createLinkSigner(s.signingSecret);
  if (route.path === '/unsubscribe/:token')
    return `/unsubscribe/${links.unsubscribe({ userId: s.attacker, category: 'news', channel: 'email', messageId: null }, s.now)}`;
  if (route.path === '/preferences/:token') return `/preferences/${links.preferences(s.attacker, s.now)}`;
  return sampleParams(route.path);
}

function pollution(routes: TableRoute[], s: AbuseSecrets): AbuseCase[] {
  const cases: AbuseCase[] = [];
  for (const route of routes) {
    // The live stream, once open, never ends: it is probed without credentials here, and flooded by streamFlood.
    const headers = route.path === '/v1/inbox/stream' ? json : { ...json, ...authFor(route, s) };
    const path = pathFor(route, s);
    // Query keys on every route: read as data, never as a path into an object.
    cases.push({
      category: 'pollution',
      name: `query keys on ${route.method} ${route.path}`,
      method: route.method,
      path: `${path}${POLLUTION_QUERY}`,
      headers,
      ...(route.body ? { body: '{}' } : {}),
      expect: [200, 201, 202, 204, 302, 303, 304, ...anyStatus4xx],
    });
    if (route.body > 0) {
      for (const [i, body] of POLLUTION_JSON.entries()) {
        cases.push({
          category: 'pollution',
          name: `JSON body ${i + 1} on ${route.method} ${route.path}`,
          method: route.method,
          path,
          headers,
          body,
          expect: [200, 201, 202, 204, 303, ...anyStatus4xx],
        });
      }
    }
    // Ids that reach Object.prototype, in every parameter of the path.
    if (route.path.includes(':')) {
      for (const id of FORBIDDEN_IDS) {
        const forged = route.path.replace(/:(\w+)/g, id);
        cases.push({
          category: 'pollution',
          name: `id "${id}" in ${route.method} ${route.path}`,
          method: route.method,
          path: forged,
          headers,
          ...(route.body ? { body: '{}' } : {}),
          expect: anyStatus4xx,
        });
      }
      for (const id of ORDINARY_IDS) {
        const path = route.path.replace(/:(\w+)/g, id);
        // Dashboard pages send a visitor without a session to the login page first.
        cases.push({
          category: 'pollution',
          name: `id "${id}" in ${route.method} ${route.path}`,
          method: route.method,
          path,
          headers,
          ...(route.body ? { body: '{}' } : {}),
          expect: [200, 201, 202, 204, 302, 303, ...anyStatus4xx],
        });
      }
    }
  }
  // The preference center's form: toggles naming Object.prototype's properties.
  const center = routes.find((r) => r.method === 'POST' && r.path === '/preferences/:token');
  if (center) {
    const path = pathFor(center, s);
    for (const form of [
      'shown=__proto__:sms&on=__proto__:sms',
      'shown=constructor:email',
      'shown=prototype:sms&shown=__proto__:email&on=news:email',
      'shown=news:__proto__',
    ]) {
      cases.push({
        category: 'pollution',
        name: `preference form "${form}"`,
        method: 'POST',
        path,
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://localhost' },
        body: form,
        expect: [303, 400],
      });
    }
  }
  return cases;
}

function oversized(routes: TableRoute[], s: AbuseSecrets): AbuseCase[] {
  const cases: AbuseCase[] = [];
  for (const route of routes) {
    if (route.method === 'GET') continue;
    const headers = { ...json, ...authFor(route, s) };
    // The dashboard checks its session and the form's origin from the headers first: refused before any body.
    // Provider webhooks ask for their signature header first: unsigned, they are refused before any body.
    const expect =
      route.auth === 'Segment write key'
        ? [400]
        : route.auth.startsWith('dashboard')
          ? [302, 303, 401, 403, 413]
          : route.auth === 'provider signature'
            ? [401, 413]
            : [413];
    const over = route.body + 1;
    cases.push({
      category: 'oversized',
      name: `declared ${over} B on ${route.method} ${route.path}`,
      method: route.method,
      path: pathFor(route, s),
      headers,
      body: 'x'.repeat(over),
      expect,
    });
    const chunk = Buffer.alloc(Math.max(1, Math.ceil(over / 4)), 0x78);
    cases.push({
      category: 'oversized',
      name: `streamed ${over} B on ${route.method} ${route.path}`,
      method: route.method,
      path: pathFor(route, s),
      headers,
      body: [chunk, chunk, chunk, chunk, chunk],
      expect,
    });
  }
  return cases;
}

function tokens(s: AbuseSecrets): AbuseCase[] {
  const links = createLinkSigner(s.signingSecret);
  const other = createLinkSigner('not-the-signing-secret-0123456789-0123456789');
  const hour = 60 * 60 * 1000;
  const unsubscribe = links.unsubscribe({ userId: s.victim, category: 'news', channel: 'email', messageId: null }, s.now);
  const expiredUnsubscribe = links.unsubscribe({ userId: s.victim, category: 'news', channel: 'email', messageId: null }, s.now - 181 * 24 * hour);
  const expiredPreferences = links.preferences(s.victim, s.now - 31 * 24 * hour);
  const [payload, signature] = links.preferences(s.attacker, s.now).split('.') as [string, string];
  const tampered = `${Buffer.from(JSON.stringify({ kind: 'preferences', userId: s.victim, exp: s.now + hour })).toString('base64url')}.${signature}`;
  const form = { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://localhost' };
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const cases: AbuseCase[] = [
    {
      category: 'tokens',
      name: 'preference link signed with another secret',
      method: 'GET',
      path: `/preferences/${other.preferences(s.victim, s.now)}`,
      headers: {},
      expect: [400],
    },
    {
      category: 'tokens',
      name: 'expired preference link',
      method: 'POST',
      path: `/preferences/${expiredPreferences}`,
      headers: form,
      body: 'shown=news:email',
      expect: [400],
    },
    {
      category: 'tokens',
      name: 'preference link re-signed for another user (payload swapped)',
      method: 'POST',
      path: `/preferences/${tampered}`,
      headers: form,
      body: 'shown=news:email',
      expect: [400],
    },
    {
      category: 'tokens',
      name: 'preference link with a doubled signature',
      method: 'GET',
      path: `/preferences/${payload}.${signature}.${signature}`,
      headers: {},
      expect: [400],
    },
    { category: 'tokens', name: 'unsubscribe link used as a preference link', method: 'GET', path: `/preferences/${unsubscribe}`, headers: {}, expect: [400] },
    {
      category: 'tokens',
      name: 'preference link used as an unsubscribe link',
      method: 'POST',
      path: `/unsubscribe/${links.preferences(s.victim, s.now)}`,
      headers: form,
      body: 'List-Unsubscribe=One-Click',
      expect: [400],
    },
    {
      category: 'tokens',
      name: 'expired unsubscribe link',
      method: 'POST',
      path: `/unsubscribe/${expiredUnsubscribe}`,
      headers: form,
      body: 'List-Unsubscribe=One-Click',
      expect: [400],
    },
    {
      category: 'tokens',
      name: 'inbox token signed with another secret',
      method: 'GET',
      path: '/v1/inbox',
      headers: bearer(signInboxToken('another-inbox-secret-0123456789', s.victim, 3600, s.now)),
      expect: [401],
    },
    {
      category: 'tokens',
      name: 'expired inbox token',
      method: 'GET',
      path: '/v1/inbox',
      headers: bearer(signInboxToken(s.inboxSecret, s.victim, 60, s.now - 3600_000)),
      expect: [401],
    },
    {
      category: 'tokens',
      name: 'inbox token with a lifetime past 7 days',
      method: 'GET',
      path: '/v1/inbox/count',
      headers: bearer(forgeLongToken(s)),
      expect: [401],
    },
    {
      category: 'tokens',
      name: "inbox token of one user marking another's item read",
      method: 'POST',
      path: `/v1/inbox/${s.victimItem}/read`,
      headers: bearer(signInboxToken(s.inboxSecret, s.attacker, 3600, s.now)),
      expect: [404],
    },
    {
      category: 'tokens',
      name: "inbox token of one user reporting a click on another's item",
      method: 'POST',
      path: `/v1/inbox/${s.victimItem}/click`,
      headers: bearer(signInboxToken(s.inboxSecret, s.attacker, 3600, s.now)),
      expect: [404],
    },
    {
      category: 'tokens',
      name: "inbox token of one user archiving another's item",
      method: 'POST',
      path: `/v1/inbox/${s.victimItem}/archive`,
      headers: bearer(signInboxToken(s.inboxSecret, s.attacker, 3600, s.now)),
      expect: [404],
    },
    {
      category: 'tokens',
      name: 'inbox token in the query of a non-stream route',
      method: 'GET',
      path: `/v1/inbox?token=${signInboxToken(s.inboxSecret, s.victim, 3600, s.now)}`,
      headers: {},
      expect: [401],
    },
    { category: 'tokens', name: 'an API key as an inbox token', method: 'GET', path: '/v1/inbox', headers: bearer(s.keys.admin), expect: [401] },
    {
      category: 'tokens',
      name: 'an inbox token as an API key',
      method: 'GET',
      path: `/v1/users/${s.victim}`,
      headers: bearer(signInboxToken(s.inboxSecret, s.victim, 3600, s.now)),
      expect: [401],
    },
    {
      category: 'tokens',
      name: 'a forged dashboard session cookie',
      method: 'GET',
      path: '/dashboard/api/messages',
      headers: { cookie: `herald_dashboard=v1.${s.now + hour}.forged.${signature}` },
      expect: [401],
    },
    {
      category: 'tokens',
      name: 'a dashboard login posted from another origin',
      method: 'POST',
      path: '/dashboard/login',
      headers: { ...form, origin: 'https://evil.example' },
      body: `secret=${s.keys.admin}`,
      expect: [403],
    },
    {
      category: 'tokens',
      name: 'an empty dashboard secret',
      method: 'POST',
      path: '/dashboard/login',
      headers: form,
      body: 'secret=',
      expect: [400, 401, 403],
    },
    {
      category: 'tokens',
      name: 'a bearer of a non-breaking space',
      method: 'GET',
      path: '/v1/providers',
      headers: { authorization: 'Bearer \u00a0' },
      expect: [401],
    },
  ];
  return cases;
}

/** A token whose expiry is 30 days out, MAC'd with the real secret (a backend that ignores the lifetime cap). */
function forgeLongToken(s: AbuseSecrets): string {
  // signInboxToken refuses such a lifetime, so the token is built as the format documents it.
  const payload = Buffer.from(JSON.stringify({ userId: s.victim, exp: Math.floor(s.now / 1000) + 30 * 86_400 })).toString('base64url');
  return `${payload}.${createHmacBase64url(s.inboxSecret, payload)}`;
}

import { createHmac } from 'node:crypto';
const createHmacBase64url = (secret: string, payload: string) => createHmac('sha256', secret).update(payload).digest('base64url');

function pathological(s: AbuseSecrets): AbuseCase[] {
  const segment = { ...json, authorization: `Basic ${Buffer.from(`${s.segmentWriteKey}:`).toString('base64')}` };
  const api = { ...json, authorization: `Bearer ${s.keys.admin}` };
  const names = ['aA'.repeat(15_000), `${'A'.repeat(30_000)}a`, `${'a'.repeat(30_000)}A`, ` ${'-'.repeat(30_000)} `, `${'a1'.repeat(15_000)}!`];
  const cases: AbuseCase[] = names.map((event, i) => ({
    category: 'pathological',
    name: `Segment track name ${i + 1} (${event.length} chars)`,
    method: 'POST',
    path: '/v1/track',
    headers: segment,
    body: JSON.stringify({ userId: s.attacker, event, properties: {} }),
    expect: [400],
  }));
  cases.push({
    category: 'pathological',
    name: 'a Segment batch of long names',
    method: 'POST',
    path: '/v1/batch',
    headers: segment,
    body: JSON.stringify({ batch: Array.from({ length: 15 }, () => ({ type: 'track', userId: s.attacker, event: 'aA'.repeat(15_000) })) }),
    expect: [200, 400],
  });
  for (const email of [`${'a'.repeat(30_000)}@`, `${'a.'.repeat(15_000)}@example.com`, `a@${'b-'.repeat(15_000)}.com`]) {
    cases.push({
      category: 'pathological',
      name: `email of ${email.length} chars`,
      method: 'PUT',
      path: `/v1/users/${s.attacker}`,
      headers: api,
      body: JSON.stringify({ email }),
      expect: [400],
    });
  }
  cases.push({
    category: 'pathological',
    name: 'phone of 30k digits and spaces',
    method: 'PUT',
    path: `/v1/users/${s.attacker}`,
    headers: api,
    body: JSON.stringify({ phone_number: `+${'1 '.repeat(15_000)}` }),
    expect: [400],
  });
  cases.push({
    category: 'pathological',
    name: 'an Authorization header of 60 KB',
    method: 'GET',
    path: '/v1/providers',
    headers: { authorization: `Basic ${'A'.repeat(60_000)}` },
    expect: [401, 431],
  });
  cases.push({
    category: 'pathological',
    name: 'a user id of 8 KB in the path',
    method: 'GET',
    path: `/v1/users/${'u'.repeat(8_000)}`,
    headers: api,
    expect: [400, 404, 414, 431],
  });
  cases.push({
    category: 'pathological',
    name: 'a dashboard next= of nested encodings',
    method: 'GET',
    path: `/dashboard/login?next=${'%25'.repeat(5_000)}2F%2Fevil.example`,
    headers: {},
    expect: [200, 400],
  });
  return cases;
}

function scope(routes: TableRoute[], s: AbuseSecrets): AbuseCase[] {
  const cases: AbuseCase[] = [];
  for (const route of routes.filter((r) => r.auth === 'API key')) {
    for (const held of ['trigger', 'read'] as const) {
      if (held === route.scope) continue;
      cases.push({
        category: 'scope',
        name: `${held} key on ${route.method} ${route.path} (needs ${route.scope})`,
        method: route.method,
        path: sampleParams(route.path),
        headers: { ...json, authorization: `Bearer ${s.keys[held]}` },
        ...(route.body ? { body: '{}' } : {}),
        expect: [403],
      });
    }
  }
  return cases;
}

export function abuseCorpus(s: AbuseSecrets): AbuseCase[] {
  const routes = tableRoutes();
  return [...pollution(routes, s), ...oversized(routes, s), ...tokens(s), ...pathological(s), ...scope(routes, s)];
}
