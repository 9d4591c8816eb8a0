/**
 * Fetch steps in scenarios (`herald/testing`, the in-memory driver): a scenario's `fetched: { <step>: answer }`
 * answers the request, checked against the step's response schema as the runtime checks a real answer; a step id
 * in `fail` answers 503 (retried in virtual time, then its onError); a fetch with no answer fails at once. No network.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bundle } from '../../compiler/bundle/schema.ts';
import { simulate } from 'herald/testing';
import { buildTree, removeTree } from '../setup/tree.ts';

const TREE = `import { env, event, provider, template, workflow, z } from 'herald';
export const cartAbandoned = event('cart_abandoned', { schema: z.object({ cart_id: z.string() }) });
export const mail = provider('sandbox-email', { channel: 'email', kind: 'sandbox' });
export const reminder = template('reminder', { data: cartAbandoned, email: { subject: 'Cart {{cart_id}} is {{fetched.cart.status}}', text: 'Come back' } });
const steps = (onError: 'fail' | 'continue') => (s: any) => [
  s.fetch('cart', {
    url: 'https://shop.example.com/carts/{{cart_id}}',
    headers: { Authorization: env('SHOP_TOKEN') },
    response: z.object({ status: z.enum(['open', 'paid']) }),
    onError,
  }),
  s.branch('still-open', [{ when: s.fetched('cart', 'status').eq('open'), then: [s.send('remind', { template: reminder, channel: 'email' })] }]),
];
export const strict = workflow('strict', { trigger: cartAbandoned, steps: steps('fail') });
export const lenient = workflow('lenient', { trigger: cartAbandoned, steps: steps('continue') });
`;

let bundle: Bundle;
beforeAll(async () => {
  const built = await buildTree('scenario-fetch', { 'tree.ts': TREE });
  if (!built.bundle) throw new Error(built.diagnostics.map((d) => d.message).join('; '));
  bundle = built.bundle;
}, 60_000);
afterAll(() => removeTree('scenario-fetch'));

const options = { user: { id: 'ada', email: 'ada@example.com' }, data: { cart_id: 'c1' } };
const fetchLines = (sim: ReturnType<typeof simulate>) =>
  sim
    .timeline()
    .filter((e) => e.type === 'step' && e.kind === 'fetch')
    .map((e) => e.text);

describe('fetch steps in scenarios', () => {
  it("answers with the scenario's fetched fixture: the branch and the template read it", () => {
    const open = simulate(bundle, 'strict', { ...options, fetched: { cart: { status: 'open' } } });
    expect(open.messages().map((m) => (m.content as { subject?: string } | undefined)?.subject)).toEqual(['Cart c1 is open']);
    expect(open.status()).toBe('completed');
    expect(simulate(bundle, 'strict', { ...options, fetched: { cart: { status: 'paid' } } }).messages()).toEqual([]);
  });

  it('checks the fixture against the response schema, as the runtime checks a real answer', () => {
    const wrong = simulate(bundle, 'strict', { ...options, fetched: { cart: { status: 'lost' } } });
    expect(wrong.status()).toBe('failed');
    expect(fetchLines(wrong)).toEqual(['cart: fetch failed (schema_mismatch)']);
  });

  it('retries a step named in fail in virtual time, then applies onError; continue goes on without it', () => {
    const failing = simulate(bundle, 'strict', { ...options, fail: ['cart'] }).advance('10s');
    expect(fetchLines(failing)).toEqual(['cart: fetch retrying (http_503)', 'cart: fetch retrying (http_503)', 'cart: fetch failed (http_503)']);
    expect(failing.status()).toBe('failed');
    expect(failing.timeline().at(-1)?.at).toBe('+5s');

    const lenient = simulate(bundle, 'lenient', options);
    expect(fetchLines(lenient)).toEqual(['cart: fetch failed (no_response)']);
    expect(lenient.status()).toBe('completed');
    expect(lenient.messages()).toEqual([]);
  });
});
