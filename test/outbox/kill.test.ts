/**
 * `kill -9` between state changes and their delivery, with real `herald start` processes on one database: the
 * first dies at a send (the provider called, its batch not committed), with earlier turns committed and their
 * events maybe not yet posted; a second finishes the work. Every committed change's event reaches the receiver
 * (verified by the `standardwebhooks` verifier; at least once, so counted by webhook-id), and no event names a
 * message that was never committed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, expect, it } from 'vitest';
import { canonicalJson } from '../../compiler/bundle/canonical.ts';
import { exampleBundle, eventually, shorten } from '../runtime/harness.ts';
import { freshDatabase } from '../setup/database.ts';
import { spawnRuntime, writeBundleFile, type RuntimeProcess } from '../setup/runtime-process.ts';
import { startReceiver, type Receiver } from './receiver.ts';

const API_KEY = 'outbox-kill-key-0123456789-0123456789';
const USERS = 6;
const work = mkdtempSync(join(tmpdir(), 'herald-outbox-kill-'));
const processes: RuntimeProcess[] = [];
let receiver: Receiver | undefined;

afterAll(async () => {
  for (const p of processes) p.kill('SIGKILL');
  await receiver?.close();
  rmSync(work, { recursive: true, force: true });
});

it('delivers every committed change after a kill -9, and nothing for a rolled-back one', async () => {
  receiver = await startReceiver();
  const databaseUrl = await freshDatabase('outbox_kill');
  const bundlePath = writeBundleFile(JSON.parse(canonicalJson(shorten(await exampleBundle()))), work);
  const start = async (failpoints?: string) => {
    const env = {
      HERALD_LOG_LEVEL: 'warn',
      NODE_COMPILE_CACHE: join(work, 'compile-cache'),
      HERALD_OUTBOUND_TIMEOUT_MS: '1000',
      HERALD_OUTBOUND_BACKOFF_MS: '100',
      // The receiver is plain http on loopback: the outbound guard allows it only when development is said explicitly
      // (a runtime on a real database is in production mode).
      NODE_ENV: 'development',
    };
    const p = await spawnRuntime({
      bundlePath,
      databaseUrl,
      apiKey: API_KEY,
      env: { ...env, ...(failpoints ? { HERALD_FAILPOINTS: failpoints } : {}) },
      startTimeoutMs: 60_000,
    });
    processes.push(p);
    return p;
  };
  const call = (p: RuntimeProcess, method: string, path: string, body?: unknown) =>
    fetch(`${p.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });

  const first = await start('send.after-provider=@4');
  const registered = await call(first, 'POST', '/v1/webhook-endpoints', { url: `${receiver.url}/hook` });
  expect(registered.status, await registered.clone().text()).toBe(201);
  const created = (await registered.json()) as { secret: string };
  receiver.secrets.set('/hook', created.secret);
  for (let i = 0; i < USERS; i++) await call(first, 'PUT', `/v1/users/k-${i}`, { email: `k-${i}@example.com` });
  // At once: the process dies at its fourth send, maybe before it answered every trigger (those it accepted are committed).
  await Promise.allSettled(
    Array.from({ length: USERS }, (_, i) =>
      call(first, 'POST', '/v1/events', { event: 'trial_started', userId: `k-${i}`, properties: { first_name: 'Ada', plan_type: 'pro' } }),
    ),
  );
  const death = await Promise.race([first.exited, new Promise<null>((resolve) => setTimeout(() => resolve(null), 20_000))]);
  expect(death?.signal, `the armed process did not die at its failpoint:\n${first.output.join('').slice(-3000)}`).toBe('SIGKILL');

  await start();
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    // Settled: every run's first message logged and nothing left to deliver.
    await eventually(
      'the second process to finish the sends and deliver every event',
      async () => {
        const { rows } = await db.query<{ runs: number; unsent: number; pending: number }>(
          `SELECT (SELECT count(*)::int FROM herald.runs) AS runs,
                  (SELECT count(*)::int FROM herald.runs r WHERE NOT EXISTS (SELECT 1 FROM herald.messages m WHERE m.run_id = r.id)) AS unsent,
                  (SELECT count(*)::int FROM herald.outbound_deliveries WHERE state = 'pending') AS pending`,
        );
        return rows[0]!.runs >= 4 && rows[0]!.unsent === 0 && rows[0]!.pending === 0;
      },
      60_000,
    );
    const received = receiver.accepted('/hook');
    expect(received.every((r) => r.verified)).toBe(true);
    const ids = new Set(received.map((r) => r.id));
    // Every committed change has its event, and it arrived.
    const events = await db.query<{ id: string; type: string; message_id: string | null }>(
      `SELECT id, type, data->>'message_id' AS message_id FROM herald.outbound_events`,
    );
    const missing = events.rows.filter((e) => !ids.has(e.id));
    expect(missing).toEqual([]);
    const runs = await db.query<{ id: string }>('SELECT id FROM herald.runs');
    const started = new Set(received.filter((r) => r.type === 'run.started').map((r) => r.data.run_id));
    expect(runs.rows.filter((r) => !started.has(r.id))).toEqual([]);
    const messages = await db.query<{ id: string; status: string }>('SELECT id, status FROM herald.messages');
    const statusEvents = new Set(received.filter((r) => r.type.startsWith('message.')).map((r) => `${r.data.message_id} ${r.data.status}`));
    expect(messages.rows.filter((m) => !statusEvents.has(`${m.id} ${m.status}`))).toEqual([]);
    // Nothing for a change that rolled back: every message an event names was committed.
    const committed = new Set(messages.rows.map((m) => m.id));
    expect(received.filter((r) => typeof r.data.message_id === 'string' && !committed.has(r.data.message_id as string))).toEqual([]);
  } finally {
    await db.end();
  }
}, 150_000);
