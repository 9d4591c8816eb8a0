import { connect } from 'node:net';
import { expect } from 'vitest';
import * as sql from '../../runtime/db/sql.ts';
import { signInboxToken } from '../../runtime/inbox/token.ts';
import { FAULT_API_KEY, rowCounts, rssKb, send, sendEarly, startFaultRuntime, type FaultRuntime, type Reply, type RowCounts } from '../faults/support.ts';
import { abuseCorpus, tableRoutes, type AbuseCase, type AbuseSecrets } from './abuse.ts';
import { CONFIGURED_ENV, INBOX_SECRET, READ_KEY, SEGMENT_WRITE_KEY, TRIGGER_KEY } from './support.ts';
import { newTimeOrderedId } from '../../runtime/db/time-ordered-id.ts';

export const SIGNING_SECRET = 'abuse-signing-secret-0123456789-0123456789';
export const STREAMS_PER_USER = 3;
export const STREAMS = 12;

export interface AbuseTarget {
  fault: FaultRuntime;
  secrets: AbuseSecrets;
  before: { rows: RowCounts; rssKb: number; victimPreferences: string };
}

/** A runtime with every door configured, a victim with an inbox item and preferences, an attacker. */
export async function startAbuseTarget(name: string): Promise<AbuseTarget> {
  const fault = await startFaultRuntime(name, {
    ...(CONFIGURED_ENV as Record<string, string>),
    HERALD_SIGNING_SECRET: SIGNING_SECRET,
    HERALD_API_KEYS: `reader:read:${READ_KEY},app-server:trigger:${TRIGGER_KEY}`,
    HERALD_INBOX_MAX_STREAMS_PER_USER: String(STREAMS_PER_USER),
    HERALD_INBOX_MAX_STREAMS: String(STREAMS),
  });
  const url = fault.runtime.url;
  const admin = { authorization: `Bearer ${FAULT_API_KEY}`, 'content-type': 'application/json' };
  for (const user of ['victim', 'attacker']) {
    await send(`${url}/v1/users/${user}`, {
      method: 'PUT',
      headers: admin,
      body: JSON.stringify({ email: `${user}@example.com`, phone_number: '+15555550100' }),
    });
  }
  await send(`${url}/v1/users/victim/preferences`, { method: 'PUT', headers: admin, body: JSON.stringify({ categories: { news: { email: true } } }) });
  const victimItem = newTimeOrderedId();
  const item = sql.insertInboxItem({ userId: 'victim', messageId: victimItem, title: 'Yours', body: 'Only yours', actionUrl: null });
  await fault.db.query(item.text, item.values);
  const secrets: AbuseSecrets = {
    keys: { admin: FAULT_API_KEY, trigger: TRIGGER_KEY, read: READ_KEY },
    signingSecret: SIGNING_SECRET,
    inboxSecret: INBOX_SECRET,
    segmentWriteKey: SEGMENT_WRITE_KEY,
    victim: 'victim',
    attacker: 'attacker',
    victimItem,
    now: Date.now(),
  };
  return { fault, secrets, before: { rows: await rowCounts(fault.db), rssKb: rssKb(fault.runtime.pid), victimPreferences: await victimPreferences(fault) } };
}

async function victimPreferences(fault: FaultRuntime): Promise<string> {
  const reply = await send(`${fault.runtime.url}/v1/users/victim/preferences`, { method: 'GET', headers: { authorization: `Bearer ${FAULT_API_KEY}` } });
  return reply.text;
}

async function sendCase(url: string, c: AbuseCase): Promise<Reply> {
  const options = { method: c.method, headers: c.headers, timeoutMs: 20_000 };
  // Oversized bodies are refused before they are read: the answer may come while the body is still going out.
  if (c.category === 'oversized' && c.body !== undefined) return sendEarly(`${url}${c.path}`, { ...options, body: c.body });
  // Headers past Node's limit (16 KB) likewise: the 431 comes, and the connection is reset, while they are still
  // being written; read the answer as it comes (a client that waits for its write to finish may see the reset only).
  const headerBytes = Object.entries(c.headers).reduce((n, [k, v]) => n + k.length + v.length, 0);
  if (headerBytes > 16 * 1024) return sendEarly(`${url}${c.path}`, { ...options, body: c.body ?? '' });
  return send(`${url}${c.path}`, { ...options, ...(c.body === undefined ? {} : { body: c.body }) });
}

/** The corpus (or every `every`-th case of it), each answered as expected and none with a 5xx. */
export async function runCorpus(target: AbuseTarget, every = 1): Promise<{ cases: number; failures: string[] }> {
  const cases = abuseCorpus(target.secrets).filter((_, i) => i % every === 0);
  const failures: string[] = [];
  for (const c of cases) {
    let reply: Reply;
    try {
      if (process.env.HERALD_TEST_LOG) console.log(`abuse: ${c.category}: ${c.name}`);
      reply = await sendCase(target.fault.runtime.url, c);
    } catch (error) {
      failures.push(`${c.category}: ${c.name}: no answer (${error instanceof Error ? error.message : String(error)})`);
      continue;
    }
    if (!c.expect.includes(reply.status))
      failures.push(`${c.category}: ${c.name}: ${reply.status} (expected ${c.expect.join('/')}) ${reply.text.slice(0, 200)}`);
  }
  return { cases: cases.length, failures };
}

/** After the corpus: alive, nothing stored, no one's preferences changed, memory bounded. */
export async function expectUnharmed(target: AbuseTarget, rssGrowthLimitMb: number): Promise<void> {
  const { fault, before } = target;
  expect((await send(`${fault.runtime.url}/healthz`, { method: 'GET' })).status).toBe(200);
  const rows = await rowCounts(fault.db);
  expect(rows).toEqual(before.rows);
  expect(await victimPreferences(fault)).toBe(before.victimPreferences);
  const polluted = await fault.db.query("SELECT count(*)::int AS n FROM herald.preferences WHERE category IN ('__proto__', 'constructor', 'prototype')");
  expect(polluted.rows[0].n).toBe(0);
  // A process whose Object.prototype were polluted would refuse every Segment call (zod) or change consent.
  const identify = await send(`${fault.runtime.url}/v1/identify`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${SEGMENT_WRITE_KEY}:`).toString('base64')}` },
    body: JSON.stringify({ userId: 'attacker', traits: { plan: 'pro' } }),
  });
  expect(identify.status, identify.text).toBe(200);
  const grewMb = (rssKb(fault.runtime.pid) - before.rssKb) / 1024;
  expect(grewMb, `RSS grew by ${grewMb.toFixed(0)} MB`).toBeLessThan(rssGrowthLimitMb);
}

interface Stream {
  status: number;
  close(): void;
}

/** Opens the live stream for `user`, resolving once its status is known; the stream stays open until closed. */
function openStream(url: string, user: string, now: number): Promise<Stream> {
  const controller = new AbortController();
  const token = signInboxToken(INBOX_SECRET, user, 3600, now);
  return fetch(`${url}/v1/inbox/stream`, { headers: { authorization: `Bearer ${token}` }, signal: controller.signal }).then((response) => {
    if (response.status !== 200) void response.body?.cancel();
    return { status: response.status, close: () => controller.abort() };
  });
}

/** More live streams than the caps allow: the extra ones are 429, the API keeps answering, closed ones free slots. */
export async function streamFlood(target: AbuseTarget): Promise<void> {
  const url = target.fault.runtime.url;
  const now = target.secrets.now;
  const oneUser = await Promise.all(Array.from({ length: STREAMS_PER_USER + 2 }, () => openStream(url, 'attacker', now)));
  expect(oneUser.map((s) => s.status).sort()).toEqual([...Array(STREAMS_PER_USER).fill(200), 429, 429]);
  const others = await Promise.all(Array.from({ length: STREAMS }, (_, i) => openStream(url, `flood-${i}`, now)));
  expect(others.filter((s) => s.status === 429).length).toBe(STREAMS_PER_USER);
  // The pool the workers need is not held by the streams: the API still answers while they are open.
  const health = await send(`${url}/readyz`, { method: 'GET' });
  expect(health.status).toBe(200);
  for (const s of [...oneUser, ...others]) s.close();
  await expect.poll(async () => (await openStream(url, 'attacker', now)).status, { timeout: 10_000 }).toBe(200);
}

/**
 * Bodies that never finish, one byte every second, on every route that takes a body: the runtime cuts each
 * connection at its request timeout (30 s) instead of holding it, and stays responsive meanwhile.
 */
export async function slowloris(target: AbuseTarget): Promise<void> {
  const { hostname, port } = new URL(target.fault.runtime.url);
  const routes = tableRoutes().filter((r) => r.method !== 'GET');
  const closed = routes.map(
    (route) =>
      new Promise<number>((resolve) => {
        const started = Date.now();
        const socket = connect(Number(port), hostname, () => {
          socket.write(
            `${route.method} ${route.path.replace(/:(\w+)/g, 'x')} HTTP/1.1\r\nhost: ${hostname}\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n{`,
          );
        });
        const drip = setInterval(() => socket.write(' '), 1_000);
        socket.on('data', () => {});
        socket.on('error', () => {});
        socket.on('close', () => {
          clearInterval(drip);
          resolve(Date.now() - started);
        });
        // Bounded: a connection still open after 90 s fails the test (by the expectation below) and is cut here.
        setTimeout(() => socket.destroy(), 90_000).unref();
      }),
  );
  const health = await send(`${target.fault.runtime.url}/readyz`, { method: 'GET' });
  expect(health.status).toBe(200);
  const durations = await Promise.all(closed);
  for (const [i, ms] of durations.entries()) expect(ms, `${routes[i]!.method} ${routes[i]!.path}`).toBeLessThan(60_000);
}
