/** The fact handler: the good jobs of a batch commit, a failing job fails alone (and is retried by pg-boss). */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { factHandler } from '../../runtime/execution/worker.ts';
import type { Runtime } from '../../runtime/server.ts';
import { client, eventually, startTestRuntime, type Api } from './harness.ts';

let runtime: Runtime;
let api: Api;

beforeAll(async () => {
  runtime = await startTestRuntime('worker');
  api = client(runtime);
});
afterAll(async () => {
  await runtime?.stop();
});

it('commits the good jobs of a batch and fails only the bad one', async () => {
  await api('PUT', '/v1/users/w1', { email: 'w1@example.com' });
  const r = await api<{ runs: string[] }>('POST', '/v1/events', { event: 'trial_started', userId: 'w1', properties: { first_name: 'W', plan_type: 'pro' } });
  const good = r.body.runs[0]!;
  await eventually('the run to wait', async () => (await api<{ run: { status: string } }>('GET', `/v1/runs/${good}`)).body.run.status === 'waiting');
  // A run whose state is not one the engine can read: its fact throws.
  const bad = '00000000-0000-4000-8000-000000000001';
  await runtime.db.query(
    `INSERT INTO herald.runs (id, workflow, bundle_version, user_id, status, state) VALUES ($1, 'onboarding', $2, 'w1', 'waiting', '{"broken": true}')`,
    [bad, runtime.deps.bundles.live!.version],
  );
  const errors: unknown[] = [];
  const outcomes = await factHandler(runtime.db, runtime.deps, (e) => errors.push(e))([
    { id: 'job-bad', data: { runId: bad, fact: { type: 'cancel', now: Date.now(), reason: 'test' } } },
    { id: 'job-good', data: { runId: good, fact: { type: 'cancel', now: Date.now(), reason: 'test' } } },
  ]);
  expect(outcomes.find((o) => o.id === 'job-good')?.status).toBe('completed');
  expect(outcomes.find((o) => o.id === 'job-bad')?.status).toBe('failed');
  expect(errors).toHaveLength(1);
  expect((await api<{ run: { status: string } }>('GET', `/v1/runs/${good}`)).body.run.status).toBe('cancelled');
});

it('ends a run as failed when its fact job has failed every retry (the dead letter), saying why', async () => {
  const { DEAD_QUEUE, RUN_QUEUE } = await import('../../runtime/execution/queue.ts');
  // The run queue sends exhausted jobs to the dead letter queue.
  expect((await runtime.deps.boss.getQueue(RUN_QUEUE))?.deadLetter).toBe(DEAD_QUEUE);
  await api('PUT', '/v1/users/w2', { email: 'w2@example.com' });
  const r = await api<{ runs: string[] }>('POST', '/v1/events', { event: 'trial_started', userId: 'w2', properties: { first_name: 'W', plan_type: 'pro' } });
  const real = r.body.runs[0]!;
  await eventually('the run to wait', async () => (await api<{ run: { status: string } }>('GET', `/v1/runs/${real}`)).body.run.status === 'waiting');
  // A copy of the waiting run whose timer job is gone (as if it had failed every retry): it would wait forever.
  const runId = '00000000-0000-4000-8000-000000000002';
  await runtime.db.query(
    `INSERT INTO herald.runs (id, workflow, bundle_version, user_id, status, state)
     SELECT $2::uuid, workflow, bundle_version, user_id, status, jsonb_set(state, '{runId}', to_jsonb($2::text)) FROM herald.runs WHERE id = $1`,
    [real, runId],
  );
  // What pg-boss puts in the dead letter queue: the exhausted job's data.
  await runtime.deps.boss.send(DEAD_QUEUE, { runId, fact: { type: 'timer', token: 'x', now: Date.now() } });
  const run = await eventually('the run to fail', async () => {
    const body = (await api<{ run: { status: string; history: { outcome: string; detail?: { error?: string } }[] } }>('GET', `/v1/runs/${runId}`)).body.run;
    return body.status === 'failed' ? body : null;
  });
  expect(run.history.at(-1)?.detail?.error).toMatch(/timer job failed after every retry/);
});
