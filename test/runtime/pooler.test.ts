/**
 * Herald through PgBouncer in transaction pooling mode (runtime/README.md, "Through a connection pooler"): a
 * real PgBouncer (Debian's, installed when missing) with 10 server connections for the database, eight real
 * `herald start` processes with DATABASE_URL at the pooler and DATABASE_DIRECT_URL at PostgreSQL, and a few
 * hundred runs of the seed flow (welcome email, a wait, the SMS nudge) triggered across them over HTTP. Every
 * run completes, every message reaches its fake provider exactly once, and PostgreSQL never sees more than the
 * pooler's 10 connections from it; what holds a session (the LISTENs) is on the direct URL.
 *
 * And the same pooler without DATABASE_DIRECT_URL breaks Herald (named statements, startup options), with
 * an error that says so: the first case passes because of the pooler-safety, not by luck.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { ConfigError, readConfig } from '../../runtime/config.ts';
import { runDoctor } from '../../runtime/doctor/checks.ts';
import { type Fakes, runtimeEnv, startFakes } from '../faults/kill-support.ts';
import { freshDatabase } from '../setup/database.ts';
import { withLimits } from '../setup/limits.ts';
import { type PgBouncer, startPgBouncer } from '../setup/pgbouncer.ts';
import { spawnRuntime, writeBundleFile, type RuntimeProcess } from '../setup/runtime-process.ts';
import { eventually, exampleBundle, shorten } from './harness.ts';

const API_KEY = 'pooler-key-0123456789-0123456789-0123456789';
const PROCESSES = 8;
const RUNS = 240;
const USERS = 40;
/** The pooler's server connections for the database: default_pool_size and max_db_connections. */
const POOL_SIZE = 10;
/** Triggers in flight at once, spread round robin over the processes. */
const IN_FLIGHT = 24;

const work = mkdtempSync(join(tmpdir(), 'herald-pooler-'));
const compileCache = join(work, 'compile-cache');
const processes: RuntimeProcess[] = [];
let bouncer: PgBouncer | null = null;
let fakes: Fakes | null = null;
let bundlePath = '';

beforeAll(async () => {
  // Installing PgBouncer with apt-get (a fresh CI machine) takes longer than the default hook timeout.
  [bouncer, fakes] = await Promise.all([startPgBouncer({ serverUrl: inject('adminDatabaseUrl'), poolSize: POOL_SIZE }), startFakes()]);
  // The seed flow with its 2-hour wait for the welcome email's open taken down to a second, and without the
  // example's SMS cap: each user here gets six nudges, and every one must be sent.
  bundlePath = writeBundleFile(withLimits(shorten(await exampleBundle(), 500)), work);
}, 15 * 60_000);

afterAll(async () => {
  for (const p of processes) p.kill('SIGKILL');
  await Promise.all([bouncer?.stop(), fakes?.sendgrid.close(), fakes?.twilio.close()]);
  rmSync(work, { recursive: true, force: true });
});

const headers = { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' };

async function call(url: string, method: string, path: string, body: unknown): Promise<unknown> {
  const response = await fetch(`${url}${path}`, { method, headers, body: JSON.stringify(body), signal: AbortSignal.timeout(20_000) });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${url}${path} answered ${response.status}: ${text.slice(0, 500)}`);
  return JSON.parse(text);
}

const tail = (p: RuntimeProcess) => p.output.join('').split('\n').slice(-30).join('\n');

/** Runs `count` calls, `inFlight` at a time. */
async function inTurns(count: number, inFlight: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < count) await fn(next++);
    }),
  );
}

/** The most server connections seen while it ran: PgBouncer's count, and PostgreSQL's own (TCP backends). */
function watchConnections(direct: pg.Client, database: string, pooler: PgBouncer, viaSocket: boolean) {
  const peak = { pooler: 0, postgres: 0 };
  let running = true;
  // Failures are kept for stop(): a rejection nobody awaits yet would be reported as unhandled.
  let failure: unknown = null;
  const loop = (async () => {
    while (running && !failure) {
      try {
        peak.pooler = Math.max(peak.pooler, await pooler.serverConnections(database));
        // The runtimes' direct connections and ours come over the Unix socket: every TCP backend is PgBouncer's.
        if (viaSocket) {
          const { rows } = await direct.query<{ n: number }>(
            "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND backend_type = 'client backend' AND client_addr IS NOT NULL",
            [database],
          );
          peak.postgres = Math.max(peak.postgres, rows[0]!.n);
        }
      } catch (error) {
        failure = error;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return {
    peak,
    async stop() {
      running = false;
      await loop;
      if (failure) throw new Error(`counting server connections failed: ${String(failure)}`);
    },
  };
}

it(`${PROCESSES} processes through PgBouncer (transaction pooling, ${POOL_SIZE} server connections): every run completes, every message is sent exactly once`, async () => {
  const directUrl = await freshDatabase('pooler');
  const database = new URL(directUrl).pathname.slice(1);
  const pooledUrl = bouncer!.through(directUrl);
  const viaSocket = new URL(directUrl).searchParams.get('host')?.startsWith('/') === true;
  const env = runtimeEnv(fakes!, compileCache, { DATABASE_DIRECT_URL: directUrl });
  const spawn = () => spawnRuntime({ bundlePath, databaseUrl: pooledUrl, apiKey: API_KEY, env, startTimeoutMs: 60_000 });

  const db = new pg.Client({ connectionString: directUrl });
  await db.connect();
  const watch = watchConnections(db, database, bouncer!, viaSocket);
  try {
    // The first migrates (through the pooler); the others then start together.
    processes.push(await spawn());
    processes.push(...(await Promise.all(Array.from({ length: PROCESSES - 1 }, spawn))));
    const urls = processes.map((p) => p.url);

    await inTurns(USERS, IN_FLIGHT, async (u) => {
      await call(urls[u % PROCESSES]!, 'PUT', `/v1/users/u${u}`, { email: `u${u}@example.com`, phone_number: '+15555550100' });
    });
    const runIds: string[] = [];
    await inTurns(RUNS, IN_FLIGHT, async (n) => {
      const reply = (await call(urls[n % PROCESSES]!, 'POST', '/v1/events', {
        event: 'trial_started',
        userId: `u${n % USERS}`,
        properties: { first_name: `User ${n}`, plan_type: 'pro' },
      })) as { runs: string[] };
      expect(reply.runs, `trigger ${n} started one run`).toHaveLength(1);
      runIds.push(reply.runs[0]!);
    });

    const statuses = async () =>
      (await db.query<{ status: string; n: number }>('SELECT status, count(*)::int AS n FROM herald.runs WHERE id = ANY($1) GROUP BY status', [runIds])).rows;
    await eventually(`all ${RUNS} runs completed`, async () => (await statuses()).find((s) => s.status === 'completed')?.n === RUNS, 90_000).catch(
      async (error: unknown) => {
        throw new Error(`${String(error)}; runs by status: ${JSON.stringify(await statuses())}\n${tail(processes[0]!)}\n${bouncer!.log().slice(-2_000)}`);
      },
    );

    // Nothing lost, nothing twice: the provider ids the fakes handed out are exactly those the message log holds.
    const { rows: messages } = await db.query<{ channel: string; status: string; provider: string; provider_message_id: string | null }>(
      'SELECT channel, status, provider, provider_message_id FROM herald.messages WHERE run_id = ANY($1)',
      [runIds],
    );
    const accepted = (fake: Fakes['sendgrid'], id: (answer: NonNullable<(typeof fake.requests)[number]['answer']>) => string) =>
      fake.requests.flatMap((r) => (r.answer && r.answer.status < 300 ? [id(r.answer)] : []));
    const emailIds = accepted(fakes!.sendgrid, (a) => String(a.headers['x-message-id']));
    const smsIds = accepted(fakes!.twilio, (a) => String((a.body as { sid: string }).sid));
    const logged = (channel: string) => messages.filter((m) => m.channel === channel);
    expect(logged('email').map((m) => [m.provider, m.status])).toEqual(Array(RUNS).fill(['sendgrid', 'sent']));
    expect(logged('sms').map((m) => [m.provider, m.status])).toEqual(Array(RUNS).fill(['twilio', 'sent']));
    expect(emailIds).toHaveLength(RUNS);
    expect(smsIds).toHaveLength(RUNS);
    expect(new Set(logged('email').map((m) => m.provider_message_id))).toEqual(new Set(emailIds));
    expect(new Set(logged('sms').map((m) => m.provider_message_id))).toEqual(new Set(smsIds));

    // What holds a session is straight on PostgreSQL: each process's ingest listener and pg-boss's.
    const { rows: listeners } = await db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND client_addr IS NULL AND query LIKE 'LISTEN %'",
      [database],
    );
    if (viaSocket) expect(listeners[0]!.n).toBeGreaterThanOrEqual(2 * PROCESSES);
  } finally {
    await watch.stop();
    await db.end();
  }
  // All that work on at most the pooler's connections, as PgBouncer counts them and as PostgreSQL does.
  expect(watch.peak.pooler).toBeGreaterThan(0);
  expect(watch.peak.pooler).toBeLessThanOrEqual(POOL_SIZE);
  expect(watch.peak.postgres).toBeLessThanOrEqual(POOL_SIZE);

  const exits = await Promise.all(processes.splice(0).map((p) => p.stop()));
  expect(exits.map((e) => e.code)).toEqual(Array(PROCESSES).fill(0));
}, 180_000);

it('the same pooler without DATABASE_DIRECT_URL fails, and the error says to set it', async () => {
  const directUrl = await freshDatabase('pooler_unsafe');
  const pooledUrl = bouncer!.through(directUrl);
  const env = runtimeEnv(fakes!, compileCache);
  let runtime: RuntimeProcess;
  try {
    runtime = await spawnRuntime({ bundlePath, databaseUrl: pooledUrl, apiKey: API_KEY, env, startTimeoutMs: 60_000 });
  } catch (error) {
    // Named statements may already collide while it starts.
    expect(String(error)).toContain('DATABASE_DIRECT_URL');
    return;
  }
  processes.push(runtime);
  await call(runtime.url, 'PUT', '/v1/users/ada', { email: 'ada@example.com', phone_number: '+15555550100' });
  // Sends need receipts, whose pool's startup options PgBouncer refuses; the runs' statements collide meanwhile.
  await eventually(
    'the runtime reporting that DATABASE_URL is a pooler',
    async () => {
      await call(runtime.url, 'POST', '/v1/events', { event: 'trial_started', userId: 'ada', properties: { first_name: 'Ada', plan_type: 'pro' } }).catch(
        () => {},
      );
      return runtime.output.join('').includes('needs DATABASE_DIRECT_URL set');
    },
    30_000,
  );
  // The error reaches the output in a JSON log line too, its quotes escaped there.
  expect(runtime.output.join('')).toMatch(/prepared statement \\?"herald_\d+\\?"|unsupported startup parameter/);
}, 60_000);

it('herald doctor checks DATABASE_DIRECT_URL: the database behind the pooler, not another', async () => {
  const [directUrl, otherUrl] = await Promise.all([freshDatabase('pooler_doctor'), freshDatabase('pooler_doctor_other')]);
  const doctor = async (direct: string) =>
    (await runDoctor({ env: { DATABASE_URL: bouncer!.through(directUrl), DATABASE_DIRECT_URL: direct }, bundle: null })).find(
      (c) => c.name === 'direct database',
    );
  expect(await doctor(directUrl)).toMatchObject({ ok: true, detail: expect.stringContaining('the same database as DATABASE_URL') });
  expect(await doctor(otherUrl)).toMatchObject({ ok: false, fix: expect.stringContaining('DATABASE_DIRECT_URL') });
}, 30_000);

it('DATABASE_DIRECT_URL without DATABASE_URL is refused: the embedded database has no pooler in front of it', () => {
  expect(() => readConfig({ DATABASE_DIRECT_URL: 'postgres://db.internal/herald' })).toThrow(ConfigError);
  expect(() => readConfig({ DATABASE_DIRECT_URL: 'postgres://db.internal/herald' })).toThrow(/set DATABASE_URL to the pooler/);
});
