/**
 * Local starts (runtime/execution/local-starts.ts): the process that accepts a trigger starts its runs right after
 * the commit, with no start job; a run its process never started (it died) is swept into the queue after the
 * lease, its delays still counted from acceptance; past capacity, and at stop, runs go to the queue; a start
 * applied both ways sends once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DriverDeps } from '../../runtime/execution/deps.ts';
import { prepareEvent } from '../../runtime/intake/index.ts';
import { createLocalStarts, type LocalStarts } from '../../runtime/execution/local-starts.ts';
import { createSlots } from '../../runtime/execution/slots.ts';
import { acceptEvents } from '../../runtime/intake/runs.ts';
import type { Runtime } from '../../runtime/server.ts';
import { API_KEY, client, eventually, startTestRuntime, type Api } from './harness.ts';

const trial = (first_name: string) => ({ first_name, plan_type: 'pro' });

/** The run's row as the sweep sees it, and the start jobs the queue holds for it. */
async function startOf(runtime: Runtime, runId: string) {
  const run = await runtime.db.query<{ start_pending: boolean; created_ms: number; status: string }>(
    'SELECT start_pending, (extract(epoch FROM created_at) * 1000)::float8 AS created_ms, status FROM herald.runs WHERE id = $1',
    [runId],
  );
  const jobs = await runtime.db.query<{ now: number }>(
    `SELECT (data->'fact'->>'now')::float8 AS now FROM pgboss.job WHERE name = 'herald-run' AND data->>'runId' = $1 AND data->'fact'->>'type' = 'start'`,
    [runId],
  );
  return { ...run.rows[0]!, startJobs: jobs.rows };
}

async function welcomes(runtime: Runtime, runId: string): Promise<number> {
  const { rows } = await runtime.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM herald.messages WHERE run_id = $1 AND step_id = 'welcome'`, [runId]);
  return rows[0]!.n;
}

/** A process that accepted runs for local start and died before starting them. */
const deadProcess: LocalStarts = { hasRoom: () => true, start: () => {}, sweep: async () => 0, stop: async () => {}, pending: 0 };

async function acceptWith(runtime: Runtime, deps: DriverDeps, userId: string): Promise<string> {
  const bundle = runtime.deps.bundles.live!;
  const [accepted] = await runtime.db.transaction((tx) =>
    acceptEvents(deps, tx, [prepareEvent(bundle, { event: 'trial_started', userId, properties: trial(userId), messageId: null })]),
  );
  return accepted!.runs[0]!;
}

describe('with local starts (the default)', () => {
  let runtime: Runtime;
  let api: Api;
  const errors: unknown[] = [];

  beforeAll(async () => {
    runtime = await startTestRuntime('local_starts', { onError: (e) => errors.push(e) });
    api = client(runtime);
    for (const u of ['l1', 'l2', 'l3', 'l4', 'l5']) await api('PUT', `/v1/users/${u}`, { email: `${u}@example.com` });
  });
  afterAll(async () => {
    await runtime?.stop();
  });

  it('starts a triggered run in the accepting process, with no start job', async () => {
    const r = await api<{ runs: string[] }>('POST', '/v1/events', { event: 'trial_started', userId: 'l1', properties: trial('L') });
    expect(r.status).toBe(202);
    const runId = r.body.runs[0]!;
    await eventually('the welcome email', async () => (await welcomes(runtime, runId)) === 1);
    await eventually('the start to be recorded as done', async () => !(await startOf(runtime, runId)).start_pending);
    expect((await startOf(runtime, runId)).startJobs).toEqual([]);
    expect(errors).toEqual([]);
    const metrics = await (await fetch(`${runtime.url}/metrics`, { headers: { authorization: `Bearer ${API_KEY}` } })).text();
    expect(metrics).toMatch(/^herald_local_starts_pending 0$/m);
    expect(metrics).toContain('# TYPE herald_starts_handed_over_total counter');
  });

  it('sweeps a start its process never applied into the queue once the lease has passed, its delays counted from acceptance', async () => {
    const runId = await acceptWith(runtime, { ...runtime.deps, starts: deadProcess }, 'l2');
    const before = await startOf(runtime, runId);
    expect(before).toMatchObject({ start_pending: true, startJobs: [] });
    const handedOver: [string, number][] = [];
    const sweeper = createLocalStarts(runtime.db, runtime.deps, {
      slots: createSlots(1),
      batchSize: 1,
      capacity: 0,
      leaseMs: 1_500,
      sweepEveryMs: 60_000,
      onError: (e) => errors.push(e),
      onHandOver: (reason, count) => handedOver.push([reason, count]),
    });
    try {
      // Within the lease its process may still be about to start it: left alone.
      await sweeper.sweep();
      expect(await startOf(runtime, runId)).toMatchObject({ start_pending: true, startJobs: [] });
      await new Promise((r) => setTimeout(r, 1_600));
      const swept = await sweeper.sweep();
      expect(swept).toBeGreaterThanOrEqual(1);
      expect(handedOver).toEqual([['sweep', swept]]);
      const after = await startOf(runtime, runId);
      expect(after.start_pending).toBe(false);
      expect(after.startJobs).toHaveLength(1);
      expect(Math.abs(after.startJobs[0]!.now - before.created_ms)).toBeLessThan(5);
      await eventually('the swept run to send its welcome', async () => (await welcomes(runtime, runId)) === 1);
    } finally {
      await sweeper.stop(1_000);
    }
  });

  it('sends once when the same start is applied both here and through the queue', async () => {
    const runId = await acceptWith(runtime, { ...runtime.deps, starts: deadProcess }, 'l3');
    const sweeper = createLocalStarts(runtime.db, runtime.deps, {
      slots: createSlots(1),
      batchSize: 1,
      capacity: 0,
      leaseMs: 0,
      sweepEveryMs: 60_000,
      onError: (e) => errors.push(e),
    });
    try {
      await sweeper.sweep();
      runtime.deps.starts!.start([runId], Date.now());
      await eventually('the welcome email', async () => (await welcomes(runtime, runId)) >= 1);
      await new Promise((r) => setTimeout(r, 1_000));
      expect(await welcomes(runtime, runId)).toBe(1);
    } finally {
      await sweeper.stop(1_000);
    }
  });

  it('gives runs start jobs once this process has no room', async () => {
    const full = createLocalStarts(runtime.db, runtime.deps, {
      slots: createSlots(1),
      batchSize: 1,
      capacity: 0,
      sweepEveryMs: 60_000,
      onError: (e) => errors.push(e),
    });
    try {
      const runId = await acceptWith(runtime, { ...runtime.deps, starts: full }, 'l4');
      const start = await startOf(runtime, runId);
      expect(start.start_pending).toBe(false);
      expect(start.startJobs).toHaveLength(1);
      await eventually('the queued run to send its welcome', async () => (await welcomes(runtime, runId)) === 1);
    } finally {
      await full.stop(1_000);
    }
  });

  it('hands the runs it has not begun to the queue when it stops', async () => {
    const slots = createSlots(1);
    const held = await slots.acquire(1); // every slot busy: what it is given waits
    const handedOver: [string, number][] = [];
    const stopping = createLocalStarts(runtime.db, runtime.deps, {
      slots,
      batchSize: 1,
      capacity: 10,
      sweepEveryMs: 60_000,
      onError: (e) => errors.push(e),
      onHandOver: (reason, count) => handedOver.push([reason, count]),
    });
    const runId = await acceptWith(runtime, { ...runtime.deps, starts: stopping }, 'l5');
    expect(stopping.pending).toBe(1);
    await stopping.stop(1_000);
    held();
    expect(handedOver).toEqual([['stop', 1]]);
    const start = await startOf(runtime, runId);
    expect(start).toMatchObject({ start_pending: false });
    expect(start.startJobs).toHaveLength(1);
    await eventually('the handed-over run to send its welcome', async () => (await welcomes(runtime, runId)) === 1);
    expect(await welcomes(runtime, runId)).toBe(1);
  });
});

describe('with HERALD_LOCAL_STARTS=off', () => {
  let runtime: Runtime;
  let api: Api;

  beforeAll(async () => {
    runtime = await startTestRuntime('local_starts_off', { env: { HERALD_LOCAL_STARTS: 'off' } });
    api = client(runtime);
  });
  afterAll(async () => {
    await runtime?.stop();
  });

  it('starts every run through a start job', async () => {
    expect(runtime.deps.starts).toBeUndefined();
    await api('PUT', '/v1/users/o1', { email: 'o1@example.com' });
    const r = await api<{ runs: string[] }>('POST', '/v1/events', { event: 'trial_started', userId: 'o1', properties: trial('O') });
    const runId = r.body.runs[0]!;
    await eventually('the welcome email', async () => (await welcomes(runtime, runId)) === 1);
    const start = await startOf(runtime, runId);
    expect(start.start_pending).toBe(false);
    expect(start.startJobs).toHaveLength(1);
  });
});
