/**
 * Batches behave as if their items had come one after the other: events accepted together by one statement
 * (intake/runs.ts acceptEvents) and fact jobs applied together in one transaction (execution/batch.ts).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { prepareEvent } from '../../runtime/intake/index.ts';
import { processFacts } from '../../runtime/execution/batch.ts';
import { acceptEvents } from '../../runtime/intake/runs.ts';
import type { Runtime } from '../../runtime/server.ts';
import { client, eventually, startTestRuntime, type Api } from './harness.ts';

let runtime: Runtime;
let api: Api;

beforeAll(async () => {
  runtime = await startTestRuntime('batching');
  api = client(runtime);
});
afterAll(async () => {
  await runtime?.stop();
});

const cart = { cart_id: 'c1', item_count: 2, cart_url: 'https://shop.example.com/cart/c1' };
const order = { order_id: 'o1', cart_id: 'c1', total: 10, currency: 'EUR', items: [] };

it('routes an event to a run started by an earlier event of the same batch', async () => {
  await api('PUT', '/v1/users/b1', { email: 'b1@example.com' });
  const bundle = runtime.deps.bundles.live!;
  const [abandoned, completed] = await runtime.db.transaction((tx) =>
    acceptEvents(runtime.deps, tx, [
      prepareEvent(bundle, { event: 'cart_abandoned', userId: 'b1', properties: cart, messageId: null }),
      prepareEvent(bundle, { event: 'checkout_completed', userId: 'b1', properties: order, messageId: null }),
    ]),
  );
  expect(abandoned!.duplicate).toBe(false);
  const recovery = abandoned!.runs[0]!;
  expect(completed).toMatchObject({ duplicate: false, routed: [recovery] });
  // cart-recovery is cancelled by the checkout_completed of its cart.
  await eventually(
    'the cart-recovery run to be cancelled',
    async () => (await api<{ run: { status: string } }>('GET', `/v1/runs/${recovery}`)).body.run.status === 'cancelled',
  );
});

it('keeps the first of a messageId repeated in one batch, and answers the repeats with its runs', async () => {
  const bundle = runtime.deps.bundles.live!;
  const input = () => prepareEvent(bundle, { event: 'trial_started', userId: 'b2', properties: { first_name: 'B', plan_type: 'pro' }, messageId: 'batch-m1' });
  const [first, repeat] = await runtime.db.transaction((tx) => acceptEvents(runtime.deps, tx, [input(), input()]));
  expect(first!.duplicate).toBe(false);
  expect(first!.runs).toHaveLength(1);
  expect(repeat).toEqual({ duplicate: true, runs: first!.runs });
  const [later] = await runtime.db.transaction((tx) => acceptEvents(runtime.deps, tx, [input()]));
  expect(later).toEqual({ duplicate: true, runs: first!.runs });
  const { rows } = await runtime.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM herald.events WHERE message_id = 'batch-m1'`);
  expect(rows[0]!.n).toBe(1);
});

it('applies many runs\u2019 facts in one transaction, each run advancing as it would alone', async () => {
  const users = ['b3', 'b4', 'b5'];
  for (const u of users) await api('PUT', `/v1/users/${u}`, { email: `${u}@example.com` });
  // Runs inserted directly (no start jobs), so that this test applies their start facts itself, together.
  const bundle = runtime.deps.bundles.live!;
  const accepted = await runtime.db.transaction((tx) =>
    acceptEvents(
      runtime.deps,
      tx,
      users.map((u) => prepareEvent(bundle, { event: 'trial_started', userId: u, properties: { first_name: u, plan_type: 'pro' }, messageId: null })),
    ),
  );
  const runIds = accepted.map((a) => a.runs[0]!);
  // The jobs the acceptance enqueued may already be running; applying the same start facts again is a no-op
  // for the engine (a run past its start ignores another) — either way each run sends its welcome once.
  const states = await runtime.db.transaction((tx) =>
    processFacts(
      runtime.deps,
      tx,
      runIds.map((runId) => ({ runId, fact: { type: 'start', now: Date.now() } })),
    ),
  );
  expect([...states.keys()].sort()).toEqual([...runIds].sort());
  for (const runId of runIds) {
    await eventually(`run ${runId} to send its welcome once`, async () => {
      const { rows } = await runtime.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM herald.messages WHERE run_id = $1 AND step_id = 'welcome'`, [
        runId,
      ]);
      return rows[0]!.n === 1;
    });
  }
});
