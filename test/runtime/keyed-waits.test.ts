/**
 * Keyed waits and cancels on the real runtime, through the HTTP API: a checkout cancels only the chase of its
 * own cart, a payment ends only the wait of its own order, events of another user with the same id touch
 * nothing, and the match keys (herald.run_match_keys) are written with each keyed run and gone when it ends.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareEvent } from '../../runtime/intake/index.ts';
import { acceptEvents } from '../../runtime/intake/runs.ts';
import type { Runtime } from '../../runtime/server.ts';
import { compileTree, ROOT } from '../setup/tree.ts';
import { client, eventually, messagesOf, startTestRuntime, type Api } from './harness.ts';

const TREE = `import { event, provider, settings, template, workflow, z } from 'herald';
// The users here have no address: their sends are skipped at once rather than after the address grace.
export const config = settings({ addressGrace: '0s' });
export const cartAbandoned = event('cart_abandoned', { schema: z.object({ cart_id: z.string() }) });
export const checkoutCompleted = event('checkout_completed', { schema: z.object({ cart_id: z.string(), order_id: z.string() }) });
export const orderPlaced = event('order_placed', { schema: z.object({ order_id: z.string() }) });
export const orderPaid = event('order_paid', { schema: z.object({ order_id: z.string() }) });
export const mail = provider('sandbox-email', { channel: 'email', kind: 'sandbox' });
export const reminder = template('reminder', { data: cartAbandoned, email: { subject: 'Cart {{cart_id}}', text: 'Come back' } });
export const thanks = template('thanks', { data: orderPlaced, email: { subject: 'Paid {{order_id}}', text: 'Thanks' } });
export const chase = workflow('cart-chase', {
  trigger: cartAbandoned,
  cancelOn: [{ event: checkoutCompleted, match: { cart_id: 'cart_id' } }],
  steps: (s) => [s.delay('wait', '1h'), s.send('reminder', { template: reminder, channel: 'email' })],
});
export const paid = workflow('order-paid', {
  trigger: orderPlaced,
  steps: (s) => [
    s.waitFor('paid', { event: orderPaid, match: { order_id: 'order_id' }, timeout: '1d' }),
    s.send('thanks', { template: thanks, channel: 'email' }),
  ],
});
`;

let runtime: Runtime;
let api: Api;

beforeAll(async () => {
  const bundle = await compileTree(join(ROOT, 'test', `.tmp-keyed-waits-${process.pid}`), { 'tree.ts': TREE });
  runtime = await startTestRuntime('keyed_waits', { bundle });
  api = client(runtime);
}, 120_000);
afterAll(async () => {
  await runtime?.stop();
});

interface RunView {
  status: string;
  history: { stepId: string; kind: string; outcome: string; detail?: Record<string, unknown> }[];
}
const run = async (id: string) => (await api<{ run: RunView }>('GET', `/v1/runs/${id}`)).body.run;
const post = (event: string, userId: string, properties: Record<string, string>) =>
  api<{ runs: string[]; routed: number }>('POST', '/v1/events', { event, userId, properties });
const keysOf = async (runIds: string[]) =>
  (await runtime.db.query<{ run_id: string; expected: unknown }>('SELECT run_id, expected FROM herald.run_match_keys WHERE run_id = ANY($1::uuid[])', [runIds]))
    .rows;
const settled = (id: string, status: string) => eventually(`run ${id} ${status}`, async () => ((await run(id)).status === status ? run(id) : null), 30_000);

describe('keyed cancelOn', () => {
  it('cancels only the run of the checked-out cart, and only for its own user', async () => {
    const [c1, c2, other] = await Promise.all([
      post('cart_abandoned', 'shopper', { cart_id: 'c1' }),
      post('cart_abandoned', 'shopper', { cart_id: 'c2' }),
      post('cart_abandoned', 'someone-else', { cart_id: 'c1' }),
    ]);
    const [r1, r2, r3] = [c1.body.runs[0]!, c2.body.runs[0]!, other.body.runs[0]!];
    await Promise.all([settled(r1, 'waiting'), settled(r2, 'waiting'), settled(r3, 'waiting')]);
    expect(await keysOf([r1, r2])).toHaveLength(2);
    expect((await keysOf([r1]))[0]!.expected).toEqual({ cart_id: 'c1' });

    const checkout = await post('checkout_completed', 'shopper', { cart_id: 'c1', order_id: 'o1' });
    expect(checkout.status).toBe(202);
    expect(checkout.body.routed).toBe(1);
    const cancelled = await settled(r1, 'cancelled');
    expect(cancelled.history.find((h) => h.kind === 'event')).toMatchObject({
      outcome: 'cancelled',
      detail: { event: 'checkout_completed', match: { cart_id: 'c1' } },
    });
    // The other cart of the same shopper, and the same cart id of another user, are still being chased.
    expect((await run(r2)).status).toBe('waiting');
    expect((await run(r3)).status).toBe('waiting');
    // The cancelled run's keys went with its end; the others' stay.
    expect((await keysOf([r1, r2, r3])).map((k) => k.run_id).sort()).toEqual([r2, r3].sort());

    // A checkout of a cart with no run reaches nothing.
    expect((await post('checkout_completed', 'shopper', { cart_id: 'c9', order_id: 'o9' })).body.routed).toBe(0);
    expect((await run(r2)).status).toBe('waiting');
  }, 60_000);
});

describe('keyed waitFor', () => {
  it('resumes only the wait of the paid order', async () => {
    const [o1, o2] = await Promise.all([post('order_placed', 'buyer', { order_id: 'o1' }), post('order_placed', 'buyer', { order_id: 'o2' })]);
    const [r1, r2] = [o1.body.runs[0]!, o2.body.runs[0]!];
    await Promise.all([settled(r1, 'waiting'), settled(r2, 'waiting')]);

    expect((await post('order_paid', 'buyer', { order_id: 'o2' })).body.routed).toBe(1);
    const done = await settled(r2, 'completed');
    expect(done.history.find((h) => h.stepId === 'paid' && h.outcome === 'matched')).toMatchObject({
      detail: { event: 'order_paid', match: { order_id: 'o2' } },
    });
    expect((await run(r1)).status).toBe('waiting');
    expect((await messagesOf(api, 'buyer')).map((m) => `${m.runId}:${m.step}`)).toEqual([`${r2}:thanks`]);

    expect((await post('order_paid', 'buyer', { order_id: 'o1' })).body.routed).toBe(1);
    await settled(r1, 'completed');
    expect(await keysOf([r1, r2])).toEqual([]);
  }, 60_000);

  it('routes an event to a keyed run started earlier in the same batch only when it matches', async () => {
    // One group commit: the order is placed, another order is paid, then this one (intake/runs.ts acceptEvents).
    const bundle = runtime.deps.bundles.live!;
    const event = (name: string, order_id: string) => prepareEvent(bundle, { event: name, userId: 'batcher', properties: { order_id }, messageId: null });
    const [placed, other, own] = await runtime.db.transaction((tx) =>
      acceptEvents(runtime.deps, tx, [event('order_placed', 'b1'), event('order_paid', 'b2'), event('order_paid', 'b1')]),
    );
    const runId = placed!.runs[0]!;
    expect(other).toMatchObject({ duplicate: false, routed: [] });
    expect(own).toMatchObject({ duplicate: false, routed: [runId] });
    await settled(runId, 'completed');
  }, 60_000);
});
