/**
 * herald/client against a live runtime (the example notifications): HTTP mode through the real API, DB
 * mode through a real `pg` client in a real transaction, drained by the runtime's ingest consumer.
 * The compile-time half (wrong fields fail `tsc`) is the never-called function at the end, checked by
 * `tsc --noEmit -p .`: an unused `@ts-expect-error` is itself an error there.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHeraldClient, HeraldError } from 'herald/client';
import * as events from '../../notifications/events.ts';
import type { Runtime } from '../../runtime/server.ts';
import { API_KEY, eventually, startTestRuntime } from '../runtime/harness.ts';

let runtime: Runtime;
const errors: unknown[] = [];

beforeAll(async () => {
  runtime = await startTestRuntime('client', { onError: (e) => errors.push(e) });
});
afterAll(async () => {
  await runtime?.stop();
});

const runsOf = async (userId: string) =>
  (await runtime.db.query<{ id: string; workflow: string }>('SELECT id, workflow FROM herald.runs WHERE user_id = $1', [userId])).rows;
const eventsOf = async (userId: string) => (await runtime.db.query('SELECT id FROM herald.events WHERE user_id = $1', [userId])).rows;

/** The global fetch, counting its calls: a real request to the real server, observed. */
function countingFetch() {
  const calls: string[] = [];
  const f: typeof fetch = (input, init) => {
    calls.push(String(input));
    return fetch(input, init);
  };
  return { fetch: f, calls };
}

describe('HTTP mode', () => {
  it('triggers trial_started and a run starts', async () => {
    const herald = createHeraldClient(events, { url: runtime.url, apiKey: API_KEY });
    const result = await herald.trigger('trial_started', 'client-http-1', { first_name: 'Ada', plan_type: 'pro', trial_days: 14 });
    expect(result.runs).toHaveLength(1);
    expect(result.routed).toBe(0);
    expect(await runsOf('client-http-1')).toEqual([{ id: result.runs[0], workflow: 'onboarding' }]);
  });

  it('starts one run for one idempotency key', async () => {
    const herald = createHeraldClient(events, { url: runtime.url, apiKey: API_KEY });
    const data = { first_name: 'Grace', plan_type: 'free' } as const;
    const first = await herald.trigger('trialStarted', 'client-http-2', data, { idempotencyKey: 'client-http-2-trial' });
    const again = await herald.trigger('trialStarted', 'client-http-2', data, { idempotencyKey: 'client-http-2-trial' });
    expect(again.runs).toEqual(first.runs);
    expect(await runsOf('client-http-2')).toHaveLength(1);
  });

  it('rejects invalid data before any request, naming the field', async () => {
    const counted = countingFetch();
    const herald = createHeraldClient(events, { url: runtime.url, apiKey: API_KEY, fetch: counted.fetch });
    // Type-correct (a number) but outside the schema (positive): only the zod check can catch it.
    const error = await herald.trigger('trialStarted', 'client-http-3', { first_name: 'Ada', plan_type: 'pro', trial_days: -3 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HeraldError);
    expect(error).toMatchObject({ status: null, code: 'invalid_request' });
    expect((error as HeraldError).message).toMatch(/^data of event "trial_started": trial_days: /);
    expect(counted.calls).toEqual([]);
    expect(await eventsOf('client-http-3')).toEqual([]);
    expect(await runsOf('client-http-3')).toEqual([]);
  });

  it("turns the API's error into a HeraldError with status, code and message", async () => {
    const herald = createHeraldClient(events, { url: runtime.url, apiKey: 'wrong-key-0123456789' });
    const error = await herald.trigger('trialStarted', 'client-http-4', { first_name: 'Ada', plan_type: 'pro' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HeraldError);
    expect(error).toMatchObject({ status: 401, code: 'unauthorized' });
    expect(await runsOf('client-http-4')).toEqual([]);
  });

  it('retries a 503 with the same Idempotency-Key, then succeeds', async () => {
    // A real proxy in front of the runtime that answers 503 to the first request.
    const seen: IncomingHttpHeaders[] = [];
    const proxy = createServer(async (req, res) => {
      seen.push(req.headers);
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      if (seen.length === 1) {
        res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'unavailable', message: 'try later' } }));
        return;
      }
      const upstream = await fetch(`${runtime.url}${req.url}`, {
        method: 'POST',
        headers: { authorization: req.headers.authorization!, 'content-type': 'application/json', 'idempotency-key': String(req.headers['idempotency-key']) },
        body: Buffer.concat(chunks),
      });
      res.writeHead(upstream.status, { 'content-type': 'application/json' }).end(await upstream.text());
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const herald = createHeraldClient(events, { url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`, apiKey: API_KEY });
      const result = await herald.trigger('trialStarted', 'client-http-5', { first_name: 'Ada', plan_type: 'team' });
      expect(result.runs).toHaveLength(1);
      expect(seen).toHaveLength(2);
      expect(seen[0]!['idempotency-key']).toBeTruthy();
      expect(seen[1]!['idempotency-key']).toBe(seen[0]!['idempotency-key']);
    } finally {
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    }
  });

  it('gives up on a server that is not there with code "unreachable"', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const herald = createHeraldClient(events, { url: `http://127.0.0.1:${port}`, apiKey: API_KEY, retries: 1 });
    const error = await herald.trigger('trialStarted', 'client-http-6', { first_name: 'Ada', plan_type: 'pro' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: null, code: 'unreachable' });
    expect((error as Error).message).toMatch(/after 2 attempt/);
  });
});

describe('DB mode', () => {
  let db: pg.Client;
  const herald = () => createHeraldClient(events, { url: runtime.url, apiKey: API_KEY });

  beforeAll(async () => {
    db = new pg.Client({ connectionString: runtime.db.url });
    await db.connect();
  });
  afterAll(async () => {
    await db?.end();
  });

  /** A business write and the trigger in one transaction, ended by `end`. */
  async function checkout(userId: string, end: 'COMMIT' | 'ROLLBACK', options: { idempotencyKey?: string } = {}) {
    await db.query('BEGIN');
    await db.query('CREATE TEMP TABLE IF NOT EXISTS trials (user_id text, plan text)');
    await db.query('INSERT INTO trials VALUES ($1, $2)', [userId, 'pro']);
    const queued = await herald().trigger('trialStarted', userId, { first_name: 'Ada', plan_type: 'pro' }, { db, ...options });
    expect(queued).toEqual({ queued: true });
    await db.query(end);
  }

  it('never starts a run for an event whose transaction rolled back', async () => {
    await checkout('client-db-1', 'ROLLBACK');
    // Several polls and passes later, still nothing: the row never existed outside the transaction.
    await new Promise((r) => setTimeout(r, 2_500));
    expect(await runsOf('client-db-1')).toEqual([]);
    expect(await eventsOf('client-db-1')).toEqual([]);
    expect((await runtime.db.query("SELECT 1 FROM herald.ingest WHERE user_id = 'client-db-1'")).rows).toEqual([]);
  });

  it('starts the run once the transaction commits, and empties the queue', async () => {
    await checkout('client-db-2', 'COMMIT');
    const runs = await eventually('a run for client-db-2', async () => ((await runsOf('client-db-2')).length ? runsOf('client-db-2') : null), 5_000);
    expect(runs).toEqual([{ id: expect.any(String), workflow: 'onboarding' }]);
    expect((await runtime.db.query("SELECT 1 FROM herald.ingest WHERE user_id = 'client-db-2'")).rows).toEqual([]);
  });

  it('starts one run for one idempotency key, across transactions', async () => {
    await checkout('client-db-3', 'COMMIT', { idempotencyKey: 'client-db-3-trial' });
    await eventually('a run for client-db-3', async () => (await runsOf('client-db-3')).length > 0, 5_000);
    await checkout('client-db-3', 'COMMIT', { idempotencyKey: 'client-db-3-trial' });
    await eventually('the queue drained', async () => (await runtime.db.query('SELECT 1 FROM herald.ingest')).rows.length === 0, 5_000);
    expect(await runsOf('client-db-3')).toHaveLength(1);
  });

  it('moves a row that does not fit its schema aside, and the queue goes on', async () => {
    // Written by hand: the client itself would refuse these properties.
    await db.query("INSERT INTO herald.ingest (event, user_id, properties) VALUES ('trial_started', 'client-db-4', '{\"first_name\": 1}')");
    await checkout('client-db-5', 'COMMIT');
    await eventually('a run for client-db-5', async () => (await runsOf('client-db-5')).length > 0, 5_000);
    const rejected = (await runtime.db.query<{ issues: { path: string }[] }>("SELECT issues FROM herald.ingest_rejected WHERE user_id = 'client-db-4'")).rows;
    expect(rejected).toHaveLength(1);
    expect(rejected[0]!.issues.map((i) => i.path)).toContain('first_name');
    expect(await runsOf('client-db-4')).toEqual([]);
    expect(errors.some((e) => e instanceof Error && /herald\.ingest_rejected/.test(e.message))).toBe(true);
  });

  it('validates before touching the transaction', async () => {
    await db.query('BEGIN');
    const error = await herald()
      .trigger('trialStarted', 'client-db-6', { first_name: 'Ada', plan_type: 'pro', trial_days: 0 }, { db })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'invalid_request' });
    // The transaction is still usable: nothing ran in it.
    expect((await db.query('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
    await db.query('ROLLBACK');
  });
});

describe("the runtime's ingest consumer", () => {
  /** Commits one trigger and returns how long its run took to appear. */
  async function latencyOf(db: pg.Client, userId: string): Promise<number> {
    const herald = createHeraldClient(events, { url: runtime.url, apiKey: API_KEY });
    await db.query('BEGIN');
    await herald.trigger('trialStarted', userId, { first_name: 'Ada', plan_type: 'pro' }, { db });
    await db.query('COMMIT');
    const t = Date.now();
    await eventually(`a run for ${userId}`, async () => (await runsOf(userId)).length > 0, 5_000);
    return Date.now() - t;
  }

  it('is woken by the NOTIFY at commit, and listens again after losing its connection', async () => {
    const db = new pg.Client({ connectionString: runtime.db.url });
    await db.connect();
    try {
      const median = async (prefix: string) => {
        const times: number[] = [];
        for (let i = 0; i < 5; i++) times.push(await latencyOf(db, `${prefix}-${i}`));
        return times.sort((a, b) => a - b)[2]!;
      };
      // The poll alone (every 1 s) would take ~500 ms on average.
      expect(await median('client-notify')).toBeLessThan(300);
      const killed = await db.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query = 'LISTEN herald_ingest'",
      );
      expect(killed.rows).toHaveLength(1);
      // Without a listener the poll still drains the queue.
      expect(await latencyOf(db, 'client-notify-polled')).toBeLessThan(2_500);
      await eventually(
        'the listener back',
        async () => (await db.query("SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND query = 'LISTEN herald_ingest'")).rows.length === 1,
        5_000,
      );
      expect(await median('client-notify-again')).toBeLessThan(300);
    } finally {
      await db.end();
    }
  });

  it('stop() waits for the pass in flight: every event is either accepted or still queued', async () => {
    const other = await startTestRuntime('client_stop');
    const db = new pg.Client({ connectionString: other.db.url });
    await db.connect();
    try {
      const herald = createHeraldClient(events, { url: other.url, apiKey: API_KEY });
      await db.query('BEGIN');
      for (let i = 0; i < 250; i++) await herald.trigger('trialStarted', `client-stop-${i}`, { first_name: 'Ada', plan_type: 'pro' }, { db });
      await db.query('COMMIT');
      await new Promise((r) => setTimeout(r, 30));
      await other.stop();
      const queued = Number((await db.query('SELECT count(*) AS n FROM herald.ingest')).rows[0].n);
      const started = Number((await db.query("SELECT count(*) AS n FROM herald.runs WHERE user_id LIKE 'client-stop-%'")).rows[0].n);
      expect(queued + started).toBe(250);
      expect([250, 150, 50, 0]).toContain(queued); // whole batches of 100 committed, never part of one
    } finally {
      await db.end();
      await other.stop();
    }
  });
});

/** Never called: each `@ts-expect-error` must be a compile error, or `tsc` fails on the unused directive. */
export async function mistakesThatDoNotCompile(tx: pg.PoolClient): Promise<void> {
  const herald = createHeraldClient(events, { url: 'http://herald', apiKey: 'k' });
  await herald.trigger('trialStarted', 'u1', { first_name: 'Ada', plan_type: 'pro' });
  // @ts-expect-error 'plan_typ' is not a field of trial_started
  await herald.trigger('trialStarted', 'u1', { first_name: 'Ada', plan_typ: 'pro' });
  // @ts-expect-error trial_days is a number
  await herald.trigger('trialStarted', 'u1', { first_name: 'Ada', plan_type: 'pro', trial_days: '14' });
  // @ts-expect-error 'enterprise' is not one of the plan types
  await herald.trigger('trialStarted', 'u1', { first_name: 'Ada', plan_type: 'enterprise' });
  // @ts-expect-error first_name is required
  await herald.trigger('trialStarted', 'u1', { plan_type: 'pro' });
  // @ts-expect-error no such event
  await herald.trigger('trialStartd', 'u1', { first_name: 'Ada', plan_type: 'pro' });
  // @ts-expect-error the data of another event
  await herald.trigger('checkoutCompleted', 'u1', { first_name: 'Ada', plan_type: 'pro' });
  // DB mode takes a pg client and answers { queued: true }; a wrong field fails there too.
  const queued: { queued: true } = await herald.trigger('cartAbandoned', 'u1', { cart_id: 'c', item_count: 1, cart_url: 'u' }, { db: tx });
  // @ts-expect-error item_count is a number
  await herald.trigger('cartAbandoned', 'u1', { cart_id: 'c', item_count: '1', cart_url: 'u' }, { db: tx });
  // HTTP mode answers runs, not { queued }.
  // @ts-expect-error 'queued' does not exist on the HTTP result
  (await herald.trigger('cartAbandoned', 'u1', { cart_id: 'c', item_count: 1, cart_url: 'u' })).queued;
  void queued;
}
