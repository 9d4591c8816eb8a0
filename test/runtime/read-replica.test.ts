/**
 * DATABASE_READ_URL against a real streaming replica (test/setup/replica.ts): a runtime whose DATABASE_URL is
 * the primary and whose DATABASE_READ_URL is its hot standby. With the standby's replay paused, what a read
 * shows tells which server answered it: the message log, the dashboard and the export show the replica's
 * (older) data, lookups by id find what only the primary has, and runs, the queue and dashboard logins go on
 * as if the replica were not there. With the standby stopped, scans answer 503 naming it, lookups fall back,
 * and the process carries on.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { READ_POOL_NAME } from '../../runtime/db/read-replica.ts';
import { runDoctor } from '../../runtime/doctor/checks.ts';
import type { Runtime } from '../../runtime/server.ts';
import { get, login, overHttp, postForm } from '../dashboard/helpers.ts';
import { HELPER_SESSION, startReplicaPair, type ReplicaPair } from '../setup/replica.ts';
import { API_KEY, client, eventually, messagesOf, startTestRuntime, type Api } from './harness.ts';

let pair: ReplicaPair;
let runtime: Runtime;
let api: Api;

const STRONG = { 'herald-consistency': 'strong' };

beforeAll(async () => {
  pair = await startReplicaPair();
  runtime = await startTestRuntime('read-replica', { databaseUrl: pair.primaryUrl, databaseReadUrl: pair.replicaUrl });
  api = client(runtime);
  // The replica has Herald's tables and the live bundle before any test reads it.
  await pair.caughtUp();
}, 60_000);

afterAll(async () => {
  await runtime?.stop();
  await pair?.stop();
});

async function sql<Row>(url: string, text: string, values: unknown[] = []): Promise<Row[]> {
  const probe = new pg.Client({ connectionString: url, application_name: HELPER_SESSION });
  await probe.connect();
  try {
    return (await probe.query(text, values)).rows as Row[];
  } finally {
    await probe.end();
  }
}

/** The client sessions a server has, by application_name (the runtime's pools other than the read pool have none), the test's own left out. */
async function sessionsOn(url: string): Promise<string[]> {
  const found = await sql<{ name: string }>(
    url,
    "SELECT DISTINCT application_name AS name FROM pg_stat_activity WHERE backend_type = 'client backend' AND application_name <> $1 ORDER BY 1",
    [HELPER_SESSION],
  );
  return found.map((r) => r.name);
}

const securityCode = (userId: string, code: string) => ({ event: 'security_code_requested', userId, properties: { code, expires_in_minutes: 10 } });

interface RunView {
  status: string;
  messages: { id: string; channel: string; status: string }[];
}

async function exportLines(since: string, headers: Record<string, string> = {}): Promise<{ status: number; lines: { userId: string }[] }> {
  const response = await fetch(`${runtime.url}/v1/events/export?since=${encodeURIComponent(since)}`, {
    headers: { authorization: `Bearer ${API_KEY}`, ...headers },
  });
  const text = await response.text();
  if (response.status !== 200) return { status: response.status, lines: [] };
  return {
    status: 200,
    lines: text
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { userId: string }),
  };
}

/** The dashboard's JSON list, read with an API key as scripts do. */
async function dashboardList(user: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${runtime.url}/dashboard/api/messages?user=${user}`, { headers: { authorization: `Bearer ${API_KEY}`, ...headers } });
  return { status: response.status, body: (await response.json()) as { messages?: { id: string }[]; counts?: { total: number }; error?: { message: string } } };
}

describe('reads off the primary (a real streaming replica)', () => {
  it('is a standby that the runtime reads through its own read-only sessions, and reports it', async () => {
    expect((await sql<{ standby: boolean }>(pair.replicaUrl, 'SELECT pg_is_in_recovery() AS standby'))[0]?.standby).toBe(true);
    const ready = await (await fetch(`${runtime.url}/readyz`)).json();
    expect(ready).toMatchObject({ ok: true, database: true, replica: true });
    expect(typeof ready.replicaLagSeconds).toBe('number');
    const metrics = await (await fetch(`${runtime.url}/metrics`, { headers: { authorization: `Bearer ${API_KEY}` } })).text();
    expect(metrics).toMatch(/^herald_read_replica_up 1$/m);
    expect(metrics).toMatch(/^herald_read_replica_lag_seconds \d/m);
    const doctor = await runDoctor({ env: { DATABASE_URL: pair.primaryUrl, DATABASE_READ_URL: pair.replicaUrl }, bundle: null });
    expect(doctor.find((c) => c.name === 'read replica')).toMatchObject({ ok: true, detail: expect.stringContaining('a standby, reachable') });
  });

  it('serves the message log, the dashboard and the export from the replica, lookups by id from either, and writes, runs and the queue from the primary', async () => {
    const origin = runtime.url;
    const since = new Date(Date.now() - 60_000).toISOString();
    await api('PUT', '/v1/users/rr-paused', { phone_number: '+15555550101', email: 'rr-paused@example.com' });
    await pair.caughtUp();
    await pair.pauseReplay();
    let sentId = '';
    try {
      // Written while the replica shows nothing new: the trigger, its run, its sends, the queue's jobs.
      const triggered = await api<{ runs: string[] }>('POST', '/v1/events', securityCode('rr-paused', '111111'));
      expect(triggered.status).toBe(202);
      const runId = triggered.body.runs[0]!;
      // (b) The run is on the primary only, yet found at once and followed to its end: the lookup falls back.
      const run = await eventually('the run to complete on the primary', async () => {
        const got = await api<{ run: RunView }>('GET', `/v1/runs/${runId}`);
        expect(got.status).toBe(200);
        return got.body.run.status === 'completed' ? got.body.run : null;
      });
      const sms = run.messages.find((m) => m.channel === 'sms')!;
      expect(sms).toMatchObject({ status: 'sent' });
      sentId = sms.id;
      const byId = await api<{ message: { id: string; status: string } }>('GET', `/v1/messages/${sms.id}`);
      expect(byId).toMatchObject({ status: 200, body: { message: { id: sms.id, status: 'sent' } } });
      expect((await api('GET', `/messages/${runId}`)).status).toBe(200);
      expect((await api('GET', '/v1/messages/00000000-0000-4000-8000-000000000000')).status).toBe(404);

      // The primary has it all (the SMS went out, so no email fallback was logged); the replica, still paused, has none of it.
      expect(await sql(pair.primaryUrl, 'SELECT id FROM herald.messages WHERE user_id = $1', ['rr-paused'])).toEqual([{ id: sms.id }]);
      expect(await sql(pair.replicaUrl, 'SELECT id FROM herald.messages WHERE user_id = $1', ['rr-paused'])).toEqual([]);

      // (a) Scans read the replica: the message log, the dashboard's list and the export show nothing yet…
      expect(await messagesOf(api, 'rr-paused')).toEqual([]);
      expect((await dashboardList('rr-paused')).body).toMatchObject({ messages: [], counts: { total: 0 } });
      const exported = await exportLines(since);
      expect(exported.status).toBe(200);
      expect(exported.lines.filter((l) => l.userId === 'rr-paused')).toEqual([]);
      // …unless the request asks for strong consistency, which reads the primary.
      expect((await api<{ messages: unknown[] }>('GET', '/v1/users/rr-paused/messages', undefined, STRONG)).body.messages).toHaveLength(1);
      expect((await dashboardList('rr-paused', STRONG)).body.messages).toHaveLength(1);
      expect((await exportLines(since, STRONG)).lines.filter((l) => l.userId === 'rr-paused')).toHaveLength(1);
      expect((await api('GET', '/v1/users/rr-paused/messages', undefined, { 'herald-consistency': 'latest' })).status).toBe(400);

      // (c) A dashboard write: the login's session is written and read on the primary, so it works at once; the
      // pages then read the replica (the message page falls back to the primary for a message it lacks).
      const fetcher = overHttp(runtime.url);
      const cookie = await login(fetcher, origin);
      const list = await get(fetcher, '/dashboard?user=rr-paused', cookie);
      expect(list.status).toBe(200);
      expect(list.text).not.toContain(sms.id);
      const page = await get(fetcher, `/dashboard/messages/${sms.id}`, cookie);
      expect(page.status).toBe(200);
      expect(page.text).toContain(sms.id);
      expect((await get(fetcher, `/dashboard/runs/${runId}`, cookie)).status).toBe(200);
      expect((await postForm(fetcher, origin, '/dashboard/logout', {}, cookie)).status).toBe(303);
      // Logged out everywhere at once: sessions never wait for a replica.
      expect((await get(fetcher, '/dashboard', cookie)).status).toBe(302);

      // Only the runtime's read pool has sessions on the replica, and it has none on the primary.
      expect(await sessionsOn(pair.replicaUrl)).toEqual([READ_POOL_NAME]);
      expect(await sessionsOn(pair.primaryUrl)).not.toContain(READ_POOL_NAME);
    } finally {
      await pair.resumeReplay();
    }

    // Replayed: the same scans now show what the primary had.
    await pair.caughtUp();
    expect((await messagesOf(api, 'rr-paused')).map((m) => m.id)).toEqual([sentId]);
    expect((await dashboardList('rr-paused')).body.counts?.total).toBe(1);
    expect((await exportLines(since)).lines.filter((l) => l.userId === 'rr-paused')).toHaveLength(1);
    const metrics = await (await fetch(`${runtime.url}/metrics`, { headers: { authorization: `Bearer ${API_KEY}` } })).text();
    expect(metrics).toMatch(/^herald_read_fallbacks_total\{reason="missing"\} [1-9]/m);
  });

  it('(d) with the replica down: scans answer 503 naming it, lookups fall back, writes and runs go on; it recovers by itself', async () => {
    await api('PUT', '/v1/users/rr-down', { phone_number: '+15555550102' });
    await pair.stopReplica();
    try {
      const down = await api<{ error: { code: string; message: string } }>('GET', '/v1/users/rr-down/messages');
      expect(down.status).toBe(503);
      expect(down.body.error.code).toBe('unavailable');
      expect(down.body.error.message).toContain('DATABASE_READ_URL');
      expect(down.body.error.message).toContain('Herald-Consistency: strong');
      const raw = await fetch(`${runtime.url}/v1/users/rr-down/messages`, { headers: { authorization: `Bearer ${API_KEY}` } });
      expect(raw.headers.get('retry-after')).toBe('5');
      expect((await dashboardList('rr-down')).status).toBe(503);
      expect((await exportLines(new Date(Date.now() - 60_000).toISOString())).status).toBe(503);

      // Triggers, runs and the queue never needed it; lookups by id fall back to the primary.
      const triggered = await api<{ runs: string[] }>('POST', '/v1/events', securityCode('rr-down', '222222'));
      expect(triggered.status).toBe(202);
      const run = await eventually('the run to complete with the replica down', async () => {
        const got = await api<{ run: RunView }>('GET', `/v1/runs/${triggered.body.runs[0]}`);
        return got.body.run?.status === 'completed' ? got.body.run : null;
      });
      expect((await api('GET', `/v1/messages/${run.messages[0]!.id}`)).status).toBe(200);
      expect((await api<{ messages: unknown[] }>('GET', '/v1/users/rr-down/messages', undefined, STRONG)).body.messages.length).toBeGreaterThan(0);

      // Ready (the replica is reported, not required), and said so in /readyz, /metrics and herald doctor.
      const ready = await fetch(`${runtime.url}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ ok: true, database: true, replica: false });
      const metrics = await (await fetch(`${runtime.url}/metrics`, { headers: { authorization: `Bearer ${API_KEY}` } })).text();
      expect(metrics).toMatch(/^herald_read_replica_up 0$/m);
      expect(metrics).toMatch(/^herald_read_fallbacks_total\{reason="replica_unavailable"\} [1-9]/m);
      const doctor = await runDoctor({ env: { DATABASE_URL: pair.primaryUrl, DATABASE_READ_URL: pair.replicaUrl }, bundle: null });
      expect(doctor.find((c) => c.name === 'read replica')).toMatchObject({ ok: false, fix: expect.stringContaining('DATABASE_READ_URL') });
    } finally {
      await pair.startReplica();
    }

    // Back: the pool reconnects by itself, and the replica catches up on what it missed.
    await pair.caughtUp();
    expect((await messagesOf(api, 'rr-down')).length).toBeGreaterThan(0);
    expect((await fetch(`${runtime.url}/healthz`)).status).toBe(200);
  });
});
