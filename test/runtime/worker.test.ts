/** The fact handler: the good jobs of a batch commit, a failing job fails alone (and is retried by pg-boss). */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { factHandler } from '../../runtime/driver/worker.ts';
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
