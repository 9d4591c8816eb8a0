/**
 * The bad-input corpus: requests across the API surface that must each be refused, generated from a seed so
 * that every run sends the same bytes. Each case names the statuses it may get; none may be accepted (the
 * fault case checks that no run, event, message or job appears). Categories:
 *
 * - malformed-json: valid bodies of each route mutated (truncated, a byte inserted or deleted, quotes
 *   swapped…) until JSON.parse refuses them, plus a few fixed non-objects;
 * - schema: well-formed bodies with a wrong field (types, enums, unknown keys, an unknown workflow);
 * - contact: invalid emails and phone numbers wherever a profile or a recipient takes one;
 * - oversized: one byte past each limit, with a Content-Length and streamed (chunked); one invalid body of
 *   exactly 256 KB, which must be judged on its content (400), not its size;
 * - deep-nesting: arrays and objects nested from 1,000 levels to as deep as the route's size limit allows,
 *   inside otherwise valid bodies (the runtime refuses past 64 levels: runtime/http/body.ts);
 * - proto: `__proto__` / `constructor.prototype` keys holding exactly the fields a request lacks, so that a
 *   parser which honoured them as prototypes would accept the request (and the counts would show it);
 * - crlf: CR/LF in fields that end up in email headers (addresses, numbers), and in HTTP header lines;
 * - auth: missing, wrong and malformed API keys and Segment write keys, and an oversized Authorization header;
 * - webhook: unsigned, forged, tampered, stale (a captured request replayed too late) and future-dated
 *   provider webhooks, for SendGrid, Twilio (status and inbound) and Segment.
 */
import type { KeyObject } from 'node:crypto';
import { MAX_BODY_BYTES } from '../../runtime/http/limits.ts';
import { MAX_BATCH_BYTES, MAX_EVENT_BYTES } from '../../runtime/segment/limits.ts';
import { webhooks } from './corpus-webhooks.ts';
import { seeded } from './support.ts';

export const CATEGORIES = ['malformed-json', 'schema', 'contact', 'oversized', 'deep-nesting', 'proto', 'crlf', 'auth', 'webhook'] as const;
export type Category = (typeof CATEGORIES)[number];

export interface Case {
  category: Category;
  name: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  /** A string or buffer is sent with its Content-Length; an array of chunks is streamed without one. */
  body?: string | Buffer | Buffer[];
  /** Bytes written to a bare socket instead (requests an HTTP client refuses to send). */
  raw?: string;
  expect: number[];
  /** A further check of the answer's body; returns what is wrong, or null. */
  check?: (json: unknown) => string | null;
}

/** What the corpus signs with and authenticates as: the runtime's configuration, seen from outside. */
export interface CorpusSecrets {
  apiKey: string;
  publicUrl: string;
  sendgridPrivateKey: KeyObject;
  twilioAuthToken: string;
  segmentWriteKey: string;
  segmentSecret: string;
}

const KB = 1024;
/** The runtime's limits (the webhooks' 5 MB is private to runtime/webhooks/routes.ts). */
export const LIMITS = { api: MAX_BODY_BYTES, segmentCall: MAX_EVENT_BYTES, segmentBatch: MAX_BATCH_BYTES, webhook: 5 * KB * KB } as const;

const USER = 'corpus-user';
const SIGNUP = { first_name: 'Ada', plan: 'pro' };

interface Route {
  name: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  /** A body the route accepts: the corpus breaks it. */
  valid: Record<string, unknown>;
  /** Where the route's data lives inside `valid` (for nesting and prototype probes). */
  dataKey: string[];
}

function routes(s: CorpusSecrets): Route[] {
  const json = { 'content-type': 'application/json' };
  const api = { ...json, authorization: `Bearer ${s.apiKey}` };
  const segment = { ...json, authorization: `Basic ${Buffer.from(`${s.segmentWriteKey}:`).toString('base64')}` };
  return [
    {
      name: 'events',
      method: 'POST',
      path: '/v1/events',
      headers: api,
      valid: { event: 'fault_signup', userId: USER, properties: SIGNUP },
      dataKey: ['properties'],
    },
    { name: 'trigger', method: 'POST', path: '/v1/workflows/fault-signup/trigger', headers: api, valid: { userId: USER, data: SIGNUP }, dataKey: ['data'] },
    {
      name: 'users',
      method: 'PUT',
      path: `/v1/users/${USER}`,
      headers: api,
      valid: { email: 'ada@example.com', traits: { nickname: 'A' } },
      dataKey: ['traits'],
    },
    {
      name: 'courier-send',
      method: 'POST',
      path: '/send',
      headers: api,
      valid: { message: { to: { user_id: USER }, template: 'fault-hello', data: SIGNUP } },
      dataKey: ['message', 'data'],
    },
    {
      name: 'segment-track',
      method: 'POST',
      path: '/v1/track',
      headers: segment,
      valid: { userId: USER, event: 'fault_signup', properties: SIGNUP },
      dataKey: ['properties'],
    },
    {
      name: 'segment-batch',
      method: 'POST',
      path: '/v1/batch',
      headers: segment,
      valid: { batch: [{ type: 'track', userId: USER, event: 'fault_signup', properties: SIGNUP }] },
      dataKey: ['batch', '0', 'properties'],
    },
  ];
}

const bad400 = [400];

// ── malformed JSON ───────────────────────────────────────────────────────────────────────────────────────

const GARBAGE = ['}', '{', ']', ',', ':', '"', "'", '\\', 'NaN', 'undefined', '\u0000', '//', '/*', '0x1F', '+1', '.5', 'tru', '\t,', '\\u12'];

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** One random mutation of `text`; the caller keeps it only when JSON.parse refuses it. */
function mutate(text: string, random: () => number): string {
  const at = 1 + Math.floor(random() * (text.length - 1));
  switch (Math.floor(random() * 6)) {
    case 0:
      return text.slice(0, at); // truncated mid-body, as a dropped connection or a bad proxy leaves it
    case 1:
      return text.slice(0, at) + text.slice(at + 1);
    case 2:
      return text.slice(0, at) + GARBAGE[Math.floor(random() * GARBAGE.length)] + text.slice(at);
    case 3:
      return text.replace(/"/g, "'");
    case 4:
      return `${text}${GARBAGE[Math.floor(random() * GARBAGE.length)]}`;
    default:
      return text.replace(/:/, '=');
  }
}

function malformed(route: Route, random: () => number, count: number): Case[] {
  const text = JSON.stringify(route.valid);
  const cases: Case[] = [];
  for (let tries = 0; cases.length < count && tries < count * 20; tries++) {
    const body = mutate(text, random);
    if (isJson(body)) continue;
    cases.push({
      category: 'malformed-json',
      name: `${route.name}: ${JSON.stringify(body.slice(0, 60))}`,
      method: route.method,
      path: route.path,
      headers: route.headers,
      body,
      expect: bad400,
    });
  }
  for (const body of ['null', '[]', '"text"', '42', '1e999', 'true', '{"a":1}{"b":2}', '{"a":1,}']) {
    cases.push({
      category: 'malformed-json',
      name: `${route.name}: ${JSON.stringify(body)}`,
      method: route.method,
      path: route.path,
      headers: route.headers,
      body,
      expect: bad400,
    });
  }
  return cases;
}

// ── schema ───────────────────────────────────────────────────────────────────────────────────────────────

function schema(all: Route[]): Case[] {
  const [events, trigger, users, courier, track, batch] = all as [Route, Route, Route, Route, Route, Route];
  const cases: [Route, string, unknown, number[]][] = [
    [events, 'no event', { userId: USER, properties: SIGNUP }, bad400],
    [events, 'empty event', { event: '', userId: USER }, bad400],
    [events, 'userId a number', { event: 'fault_signup', userId: 7, properties: SIGNUP }, bad400],
    [events, 'properties an array', { event: 'fault_signup', userId: USER, properties: [] }, bad400],
    [events, 'plan not in the enum', { event: 'fault_signup', userId: USER, properties: { ...SIGNUP, plan: 'gold' } }, bad400],
    [events, 'first_name missing', { event: 'fault_signup', userId: USER, properties: { plan: 'pro' } }, bad400],
    [events, 'empty messageId', { event: 'fault_signup', userId: USER, properties: SIGNUP, messageId: '' }, bad400],
    [trigger, 'both userId and to', { userId: USER, to: { email: 'a@example.com' }, data: SIGNUP }, bad400],
    [trigger, 'neither userId nor to', { data: SIGNUP }, bad400],
    [trigger, 'data against the schema', { userId: USER, data: { first_name: 1 } }, bad400],
    [{ ...trigger, path: '/v1/workflows/no-such-workflow/trigger' }, 'unknown workflow', trigger.valid, [404]],
    [users, 'unknown field', { role: 'admin' }, bad400],
    [users, '51 push tokens', { push_tokens: Array.from({ length: 51 }, (_, i) => `t${i}`) }, bad400],
    [users, 'unknown time zone', { timezone: 'Mars/Olympus_Mons' }, bad400],
    [users, 'traits an array', { traits: [1, 2] }, bad400],
    [courier, 'no message', {}, bad400],
    [courier, 'template and content', { message: { to: { user_id: USER }, template: 'fault-hello', content: { title: 't', body: 'b' } } }, bad400],
    [courier, 'recipient without address', { message: { to: {}, template: 'fault-hello' } }, bad400],
    [track, 'no event name', { userId: USER, properties: SIGNUP }, bad400],
    [track, 'no userId or anonymousId', { event: 'fault_signup', properties: SIGNUP }, bad400],
    [track, 'properties against the schema', { userId: USER, event: 'fault_signup', properties: { plan: 'gold' } }, bad400],
    [{ ...track, path: '/v1/identify', name: 'segment-identify' }, 'traits a string', { userId: USER, traits: 'x' }, bad400],
    [batch, 'batch not an array', { batch: { type: 'track' } }, bad400],
  ];
  const out = cases.map(
    ([route, name, body, expect]): Case => ({
      category: 'schema',
      name: `${route.name}: ${name}`,
      method: route.method,
      path: route.path,
      headers: route.headers,
      body: JSON.stringify(body),
      expect,
    }),
  );
  // Segment answers a batch 200 even when it refuses calls in it (as Segment does); the refusals are listed.
  out.push({
    category: 'schema',
    name: 'segment-batch: every call refused',
    method: batch.method,
    path: batch.path,
    headers: batch.headers,
    body: JSON.stringify({
      batch: [
        { type: 'track', userId: USER },
        { type: 'nope', userId: USER },
        'x',
        { type: 'track', event: 'fault_signup', userId: USER, properties: { plan: 'gold' } },
      ],
    }),
    expect: [200],
    check: rejectedAll(4),
  });
  return out;
}

/** A Segment batch answer in which every one of `n` calls was refused. */
function rejectedAll(n: number) {
  return (json: unknown) => {
    const herald = (json as { herald?: { accepted?: number; duplicates?: number; rejected?: unknown[] } } | null)?.herald;
    return herald?.accepted === 0 && herald.duplicates === 0 && herald.rejected?.length === n
      ? null
      : `expected ${n} calls rejected and none accepted, got ${JSON.stringify(json)}`;
  };
}

// ── contact fields ───────────────────────────────────────────────────────────────────────────────────────

export const INVALID_EMAILS = [
  'plainaddress',
  '@example.com',
  'ada@',
  'ada@example',
  'ada example@example.com',
  'ada@exa mple.com',
  'ada@@example.com',
  '<ada@example.com>',
  'Ada <ada@example.com>',
  'ada@example.com, eve@example.com',
  'ada@example.com\r\nBcc: eve@example.com',
  'ada@example.com\nBcc: eve@example.com',
  'ada@example.com%0d%0aBcc:eve@example.com',
  '.ada@example.com',
  'ada..lovelace@example.com',
  'ada@-example.com',
  `${'a'.repeat(300)}@example.com`,
];

export const INVALID_PHONES = [
  '12',
  'abc',
  '+',
  '++14155550100',
  '+1 415 555 0100 ext 7',
  '+14155550100\r\nX: y',
  '1'.repeat(30),
  '+1415555010😀',
  '(415) 555-0100; DROP TABLE',
];

function contacts(all: Route[]): Case[] {
  const [, trigger, users, courier, track] = all as [Route, Route, Route, Route, Route];
  const identify = { ...track, name: 'segment-identify', path: '/v1/identify' };
  const profiles = { ...courier, name: 'courier-profile', path: `/profiles/${USER}` };
  const out: Case[] = [];
  // Values with a line break count as header-injection probes (they would end in a To line).
  const add = (route: Route, field: string, value: string, body: unknown) =>
    out.push({
      category: /[\r\n]/.test(value) ? 'crlf' : 'contact',
      name: `${route.name} ${field}: ${JSON.stringify(value.slice(0, 50))}`,
      method: route.method,
      path: route.path,
      headers: route.headers,
      body: JSON.stringify(body),
      expect: bad400,
    });
  for (const email of INVALID_EMAILS) {
    add(users, 'email', email, { email });
    add(trigger, 'to.email', email, { to: { email }, data: SIGNUP });
    add(identify, 'traits.email', email, { userId: USER, traits: { email } });
    add(courier, 'to.email', email, { message: { to: { email }, template: 'fault-hello', data: SIGNUP } });
    add(courier, 'to.user_id + email', email, { message: { to: { user_id: USER, email }, template: 'fault-hello', data: SIGNUP } });
    add(profiles, 'profile.email', email, { profile: { email } });
  }
  for (const phone of INVALID_PHONES) {
    add(users, 'phone_number', phone, { phone_number: phone });
    add(trigger, 'to.phone_number', phone, { to: { phone_number: phone }, data: SIGNUP });
    add(identify, 'traits.phone', phone, { userId: USER, traits: { phone } });
    add(courier, 'to.phone_number', phone, { message: { to: { phone_number: phone }, template: 'fault-hello', data: SIGNUP } });
    add(profiles, 'profile.phone_number', phone, { profile: { phone_number: phone } });
  }
  return out;
}

// ── oversized ────────────────────────────────────────────────────────────────────────────────────────────

/** A JSON body of exactly `bytes` bytes: the route's valid body with a string field padded out. */
function padded(route: Route, bytes: number): string {
  const base = JSON.stringify({ ...route.valid, pad: '' });
  return JSON.stringify({ ...route.valid, pad: 'x'.repeat(bytes - Buffer.byteLength(base)) });
}

/** The same bytes as chunks of 64 KB, sent without a Content-Length. */
function chunked(body: string): Buffer[] {
  const bytes = Buffer.from(body);
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += 64 * KB) chunks.push(bytes.subarray(i, i + 64 * KB));
  return chunks;
}

function oversized(all: Route[]): Case[] {
  const [events, trigger, users, courier, track, batch] = all as [Route, Route, Route, Route, Route, Route];
  const out: Case[] = [];
  const add = (route: Route, name: string, body: string | Buffer[], expect: number[], headers = route.headers, path = route.path) =>
    out.push({ category: 'oversized', name: `${route.name}: ${name}`, method: route.method, path, headers, body, expect });
  for (const route of [events, trigger, users, courier]) {
    add(route, '256 KB + 1', padded(route, LIMITS.api + 1), [413]);
    add(route, '1 MB, streamed', chunked(padded(route, 4 * LIMITS.api)), [413]);
  }
  // Exactly at the limit is judged on content: this one has an unknown field (users is strict) → 400.
  add(users, 'exactly 256 KB, invalid', padded(users, LIMITS.api), bad400);
  // Segment documents 400 for its limits.
  add(track, '32 KB + 1', padded(track, LIMITS.segmentCall + 1), bad400);
  add(track, '64 KB, streamed', chunked(padded(track, 2 * LIMITS.segmentCall)), bad400);
  add(batch, '500 KB + 1', padded(batch, LIMITS.segmentBatch + 1), bad400);
  const webhook = (path: string, headers: Record<string, string>) => ({ name: path, method: 'POST', path, headers, valid: {}, dataKey: [] });
  const huge = 'x'.repeat(LIMITS.webhook + 1);
  // Each carries its signature header (not a valid one): without it the route refuses before the body (401),
  // which the webhook category covers.
  add(
    webhook('/webhooks/sendgrid', {
      'content-type': 'application/json',
      'x-twilio-email-event-webhook-signature': 'x',
      'x-twilio-email-event-webhook-timestamp': '0',
    }),
    '5 MB + 1',
    huge,
    [413],
  );
  add(webhook('/webhooks/twilio/status', { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': 'x' }), '5 MB + 1', huge, [413]);
  add(webhook('/webhooks/segment', { 'content-type': 'application/json', 'x-signature': 'x' }), '5 MB + 1, streamed', chunked(huge), [413]);
  return out;
}

// ── deep nesting ─────────────────────────────────────────────────────────────────────────────────────────

/** `valid` with `deep` set, under the route's data key, to arrays (or objects) nested `depth` levels. */
function nested(route: Route, depth: number, kind: 'array' | 'object'): string {
  const inner = kind === 'array' ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth - 1)}{}${'}'.repeat(depth - 1)}`;
  const marker = '"__DEEP__"';
  const copy = structuredClone(route.valid) as Record<string, unknown>;
  let at: Record<string, unknown> = copy;
  for (const key of route.dataKey.slice(0, -1)) at = at[key] as Record<string, unknown>;
  const last = route.dataKey[route.dataKey.length - 1]!;
  at[last] = { ...(at[last] as object), deep: JSON.parse(marker) };
  return JSON.stringify(copy).replace(marker, inner);
}

function deepNesting(all: Route[]): Case[] {
  const out: Case[] = [];
  for (const route of all) {
    const limit = route.name.startsWith('segment-track') ? LIMITS.segmentCall : route.name === 'segment-batch' ? LIMITS.segmentBatch : LIMITS.api;
    // The deepest that fits the route's limit, and two shallower; arrays 2 bytes a level, objects 6.
    for (const depth of [1_000, 10_000, Math.floor(limit / 2) - 200]) {
      out.push({
        category: 'deep-nesting',
        name: `${route.name}: arrays ${depth} deep`,
        method: route.method,
        path: route.path,
        headers: route.headers,
        body: nested(route, depth, 'array'),
        expect: bad400,
      });
    }
    const objects = Math.floor(limit / 6) - 100;
    out.push({
      category: 'deep-nesting',
      name: `${route.name}: objects ${objects} deep`,
      method: route.method,
      path: route.path,
      headers: route.headers,
      body: nested(route, objects, 'object'),
      expect: bad400,
    });
  }
  return out;
}

// ── prototype keys ───────────────────────────────────────────────────────────────────────────────────────

function proto(all: Route[]): Case[] {
  const [events, trigger, users, courier, track, batch] = all as [Route, Route, Route, Route, Route, Route];
  // Raw text: JSON.stringify would not write a "__proto__" key from an object literal.
  const cases: [Route, string, string, number[]][] = [
    [
      events,
      'event and userId only under __proto__',
      `{"__proto__":{"event":"fault_signup","userId":"${USER}"},"properties":${JSON.stringify(SIGNUP)}}`,
      bad400,
    ],
    [
      events,
      'required properties only under __proto__',
      `{"event":"fault_signup","userId":"${USER}","properties":{"__proto__":${JSON.stringify(SIGNUP)}}}`,
      bad400,
    ],
    [
      events,
      'required properties under constructor.prototype',
      `{"event":"fault_signup","userId":"${USER}","properties":{"constructor":{"prototype":${JSON.stringify(SIGNUP)}}}}`,
      bad400,
    ],
    [trigger, 'data only under __proto__', `{"userId":"${USER}","data":{"__proto__":${JSON.stringify(SIGNUP)}}}`, bad400],
    [trigger, 'userId only under __proto__', `{"__proto__":{"userId":"${USER}"},"data":${JSON.stringify(SIGNUP)}}`, bad400],
    [users, 'email under __proto__', '{"__proto__":{"email":"proto@example.com"}}', bad400],
    [users, 'constructor.prototype', '{"constructor":{"prototype":{"polluted":true}}}', bad400],
    [courier, 'template only under __proto__', `{"message":{"__proto__":{"template":"fault-hello"},"to":{"user_id":"${USER}"}}}`, bad400],
    [track, 'event only under __proto__', `{"__proto__":{"event":"fault_signup"},"userId":"${USER}","properties":${JSON.stringify(SIGNUP)}}`, bad400],
    [
      track,
      'required properties only under __proto__',
      `{"userId":"${USER}","event":"fault_signup","properties":{"__proto__":${JSON.stringify(SIGNUP)}}}`,
      bad400,
    ],
  ];
  const out = cases.map(
    ([route, name, body, expect]): Case => ({
      category: 'proto',
      name: `${route.name}: ${name}`,
      method: route.method,
      path: route.path,
      headers: route.headers,
      body,
      expect,
    }),
  );
  // A batch naming `__proto__` anywhere is refused whole, before any call in it is applied.
  out.push({
    category: 'proto',
    name: 'segment-batch: calls whose type and event are only under __proto__',
    method: batch.method,
    path: batch.path,
    headers: batch.headers,
    body: `{"batch":[{"__proto__":{"type":"track","event":"fault_signup"},"userId":"${USER}"},{"type":"track","userId":"${USER}","event":"fault_signup","properties":{"__proto__":${JSON.stringify(SIGNUP)}}}]}`,
    expect: bad400,
  });
  return out;
}

// ── CR/LF ────────────────────────────────────────────────────────────────────────────────────────────────

/** Header lines an HTTP client will not send: bare LF, obs-fold continuation, NUL, CR alone in a value. */
function crlf(s: CorpusSecrets): Case[] {
  const body = JSON.stringify({ event: 'fault_signup', userId: USER, properties: SIGNUP });
  const request = (extra: string) =>
    `POST /v1/events HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${s.apiKey}\r\nContent-Type: application/json\r\n${extra}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
  const raw: [string, string][] = [
    ['Idempotency-Key with a bare LF and an injected header', 'Idempotency-Key: k1\nX-Injected: yes\r\n'],
    ['Idempotency-Key folded onto a second line', 'Idempotency-Key: k2\r\n X-Injected: yes\r\n'],
    ['Idempotency-Key with a NUL', 'Idempotency-Key: k3\u0000x\r\n'],
    ['Idempotency-Key with a bare CR', 'Idempotency-Key: k4\rX-Injected: yes\r\n'],
    ['a header name with a space', 'Idempotency Key: k5\r\n'],
    ['two Content-Length values', `Content-Length: 1\r\n`],
  ];
  return raw.map(([name, extra]) => ({
    category: 'crlf',
    name: `raw /v1/events: ${name}`,
    method: 'POST',
    path: '/v1/events',
    headers: {},
    raw: request(extra),
    expect: bad400,
  }));
}

// ── auth ─────────────────────────────────────────────────────────────────────────────────────────────────

function auth(all: Route[], s: CorpusSecrets): Case[] {
  const [events, trigger, users, courier, track] = all as [Route, Route, Route, Route, Route];
  const out: Case[] = [];
  const headersOf = (route: Route, authorization: string | null) => {
    const { authorization: _ignored, ...rest } = route.headers;
    return authorization === null ? rest : { ...rest, authorization };
  };
  for (const route of [events, trigger, users, courier]) {
    const body = JSON.stringify(route.valid);
    for (const [name, header] of [
      ['no Authorization', null],
      ['a wrong key', `Bearer ${s.apiKey}x`],
      ['a truncated key', `Bearer ${s.apiKey.slice(0, -1)}`],
      ['Bearer alone', 'Bearer'],
      ['the key as Basic', `Basic ${Buffer.from(`${s.apiKey}:`).toString('base64')}`],
      ['the key without a scheme', s.apiKey],
      ['a Segment write key', `Bearer ${s.segmentWriteKey}`],
    ] as [string, string | null][]) {
      out.push({
        category: 'auth',
        name: `${route.name}: ${name}`,
        method: route.method,
        path: route.path,
        headers: headersOf(route, header),
        body,
        expect: [401],
      });
    }
  }
  // Node refuses a header block over its 16 KB limit before any route sees it.
  out.push({
    category: 'auth',
    name: 'events: a 20 KB Authorization header',
    method: 'POST',
    path: events.path,
    headers: headersOf(events, `Bearer ${'k'.repeat(20 * KB)}`),
    body: JSON.stringify(events.valid),
    expect: [431],
  });
  const trackBody = JSON.stringify(track.valid);
  for (const [name, header, body] of [
    ['a wrong write key', `Basic ${Buffer.from('wk_wrong:').toString('base64')}`, trackBody],
    ['the API key as Bearer', `Bearer ${s.apiKey}`, trackBody],
    ['Basic that is not base64', 'Basic %%%', trackBody],
    ['no header, no writeKey', null, trackBody],
    ['no header, a wrong writeKey in the body', null, JSON.stringify({ ...track.valid, writeKey: 'wk_wrong' })],
    ['no header, malformed body', null, '{"writeKey":'],
  ] as [string, string | null, string][]) {
    out.push({ category: 'auth', name: `segment-track: ${name}`, method: 'POST', path: track.path, headers: headersOf(track, header), body, expect: [401] });
  }
  return out;
}

/** The whole corpus: mutations and ids come from the seed, so a seed always makes the same requests. */
export function buildCorpus(secrets: CorpusSecrets, seed: number, now: number): Case[] {
  const random = seeded(seed);
  const all = routes(secrets);
  return [
    ...all.flatMap((route) => malformed(route, random, 12)),
    ...schema(all),
    ...contacts(all),
    ...oversized(all),
    ...deepNesting(all),
    ...proto(all),
    ...crlf(secrets),
    ...auth(all, secrets),
    ...webhooks(secrets, random, now),
  ];
}
