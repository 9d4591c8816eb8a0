/**
 * Keyed waits and cancels at compile time: what the bundle holds (the plain name when there is no match, so
 * bundles without keys keep their bytes), and every check of a `match` against the two events' schemas, with
 * file:line. The tree is built without the type-check: the compiler must refuse these on its own (JavaScript
 * authors, casts), the editor's types being a first line only (test/dsl-types.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brief, buildTree, removeTree } from '../setup/tree.ts';

const EVENTS = `import { event, provider, template, z } from 'herald';
export const cartAbandoned = event('cart_abandoned', {
  schema: z.object({ cart_id: z.string(), count: z.number().int(), shop: z.object({ id: z.string() }), tags: z.array(z.string()) }),
});
export const checkoutCompleted = event('checkout_completed', {
  schema: z.object({ cart_id: z.string().nullable(), total: z.number(), shop: z.object({ id: z.string() }), items: z.array(z.object({ sku: z.string() })) }),
});
export const loggedOut = event('logged_out', { schema: z.object({}) });
export const mail = provider('sandbox-email', { channel: 'email', kind: 'sandbox' });
export const reminder = template('reminder', { data: cartAbandoned, email: { subject: 'Your cart', text: 'Cart {{cart_id}}' } });
`;

const VALID = `import { workflow } from 'herald';
import { cartAbandoned, checkoutCompleted, reminder } from './events.ts';
export const plain = workflow('plain', {
  trigger: cartAbandoned,
  cancelOn: [checkoutCompleted, 'logged_out'],
  steps: (s) => [s.send('reminder', { template: reminder, channel: 'email' })],
});
export const keyed = workflow('keyed', {
  trigger: cartAbandoned,
  cancelOn: [{ event: checkoutCompleted, match: { cart_id: 'cart_id', 'shop.id': 'shop.id' } }, { event: 'logged_out' }],
  steps: (s) => [
    s.waitFor('paid', { event: checkoutCompleted, match: { total: 'count' }, timeout: '1d' }),
    s.send('reminder', { template: reminder, channel: 'email' }),
  ],
});
`;

// Each mistake on its own line, pinned below by line number.
const BROKEN = `import { schedule, workflow } from 'herald';
import { cartAbandoned, checkoutCompleted, reminder } from './events.ts';
export const broken = workflow('broken', {
  trigger: cartAbandoned,
  cancelOn: [
    { event: checkoutCompleted, match: {} },
  ],
  steps: (s) => [
    s.waitFor('types', { event: checkoutCompleted, match: { total: 'cart_id' }, timeout: '1d' }),
    s.waitFor('list', { event: checkoutCompleted, match: { 'items.sku': 'cart_id' }, timeout: '1d' }),
    s.waitFor('nested', { event: checkoutCompleted, match: { 'shop.idd': 'shop.id' }, timeout: '1d' }),
    s.waitFor('trigger-side', { event: checkoutCompleted, match: { cart_id: 'cartid' }, timeout: '1d' }),
    s.waitFor('overlap', { event: checkoutCompleted, match: { shop: 'shop', 'shop.id': 'shop.id' }, timeout: '1d' }),
    s.waitFor('whole-list', { event: checkoutCompleted, match: { items: 'tags' }, timeout: '1d' }),
    s.send('reminder', { template: reminder, channel: 'email' }),
  ],
});
export const scheduled = workflow('scheduled', {
  trigger: schedule('0 9 * * 1'),
  cancelOn: [{ event: checkoutCompleted, match: { cart_id: 'cart_id' } }],
  steps: (s) => [s.delay('d', '1h')],
});
`;

const build = (side: string, files: Record<string, string>) => buildTree(`match-${side}`, files);

let valid: Awaited<ReturnType<typeof build>>;
let broken: Awaited<ReturnType<typeof build>>;
beforeAll(async () => {
  [valid, broken] = await Promise.all([
    build('valid', { 'events.ts': EVENTS, 'flows.ts': VALID }),
    build('broken', { 'events.ts': EVENTS, 'flows.ts': BROKEN }),
  ]);
}, 120_000);
afterAll(() => {
  for (const side of ['valid', 'broken']) removeTree(`match-${side}`);
});

describe('keyed waits and cancels in the bundle', () => {
  it('writes the plain name without a match (bundles keep their bytes) and { event, match } with one', () => {
    expect(valid.diagnostics.map(brief)).toEqual([]);
    expect(valid.bundle!.workflows.plain!.cancelOn).toEqual(['checkout_completed', 'logged_out']);
    const keyed = valid.bundle!.workflows.keyed!;
    // `{ event: 'logged_out' }` without a match is the plain name too.
    expect(keyed.cancelOn).toEqual([{ event: 'checkout_completed', match: { cart_id: 'cart_id', 'shop.id': 'shop.id' } }, 'logged_out']);
    // integer and number can be equal; a nullable string is a string.
    expect(keyed.steps[0]).toEqual({
      kind: 'waitFor',
      id: 'paid',
      until: { type: 'event', event: 'checkout_completed', match: { total: 'count' } },
      timeoutMs: 86_400_000,
    });
  });
});

describe('match checks', () => {
  it('reports each problem at its line, naming both events and the path', () => {
    const head = 'match "';
    expect(broken.bundle).toBeNull();
    expect(broken.diagnostics.map(brief)).toEqual([
      `flows.ts:5 invalid-definition: workflow "broken", cancelOn "checkout_completed": match must pair at least one field, as { <field of "checkout_completed">: '<field of the trigger>' } | e.g. match: { cart_id: 'cart_id' }; or remove match to react to any such event of the user`,
      `flows.ts:9 bad-match: workflow "broken", waitFor "types": ${head}total" → "cart_id" pairs event "checkout_completed" with the trigger "cart_abandoned", but "total" is a number and "cart_id" is a string: they can never be equal | pair fields that hold the same kind of value (an id with the same id)`,
      `flows.ts:10 bad-match: workflow "broken", waitFor "list": ${head}items.sku" → "cart_id" pairs event "checkout_completed" with the trigger "cart_abandoned", but "items.sku" is not a field of "checkout_completed": "items" is a list and has no field "sku"`,
      `flows.ts:11 bad-match: workflow "broken", waitFor "nested": ${head}shop.idd" → "shop.id" pairs event "checkout_completed" with the trigger "cart_abandoned", but "shop.idd" is not a field of "checkout_completed": "shop" has no field "idd" | did you mean "shop.id"?`,
      `flows.ts:12 bad-match: workflow "broken", waitFor "trigger-side": ${head}cart_id" → "cartid" pairs event "checkout_completed" with the trigger "cart_abandoned", but "cartid" is not a field of "cart_abandoned" | did you mean "cart_id"?`,
      `flows.ts:13 bad-match: workflow "broken", waitFor "overlap": "shop" and "shop.id" overlap: one is inside the other | match "shop.id" alone, or "shop" alone`,
      `flows.ts:20 bad-match: workflow "scheduled", cancelOn "checkout_completed": a scheduled workflow has no trigger data to match "checkout_completed" against | remove match`,
    ]);
  });

  it('lets a list match a list (deep equality)', () => {
    expect(broken.diagnostics.some((d) => d.message.includes('"whole-list"'))).toBe(false);
  });
});
