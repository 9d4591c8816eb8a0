/**
 * The fetch step at compile time: what the bundle holds (env names, never values; the answer as JSON Schema;
 * defaults written out) and every check, with file:line: the URL (https, its variables in the trigger's data),
 * headers (never Herald's own settings or a provider's credentials), the timeout, and `s.fetched(…)` /
 * `{{fetched.…}}` against the fetches that run before them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BuildResult } from '../../compiler/build.ts';
import { brief, buildTree, removeTree } from '../setup/tree.ts';

const EVENTS = `import { event, provider, template, z } from 'herald';
export const cartAbandoned = event('cart_abandoned', { schema: z.object({ cart_id: z.string() }) });
export const mail = provider('sandbox-email', { channel: 'email', kind: 'sandbox' });
export const reminder = template('reminder', { data: cartAbandoned, email: { subject: 'Cart {{cart_id}} is {{fetched.cart.status}}', text: 'Hi' } });
export const typo = template('typo', { data: cartAbandoned, email: { subject: 'Cart {{fetched.cart.stauts}}', text: 'Hi' } });
`;

const VALID = `import { env, workflow, z } from 'herald';
import { cartAbandoned, reminder } from './events.ts';
export const chase = workflow('chase', {
  trigger: cartAbandoned,
  steps: (s) => [
    s.fetch('cart', {
      url: 'https://shop.example.com/carts/{{cart_id}}',
      headers: { Authorization: env('SHOP_TOKEN'), Accept: 'application/json' },
      response: z.object({ status: z.enum(['open', 'paid']) }),
    }),
    s.branch('still-open', [{ when: s.fetched('cart', 'status').eq('open'), then: [s.send('remind', { template: reminder, channel: 'email' })] }]),
  ],
});
`;

// Each mistake on its own line, pinned below by line number.
const BROKEN = `import { env, workflow, z } from 'herald';
import { cartAbandoned, reminder, typo } from './events.ts';
export const broken = workflow('broken', {
  trigger: cartAbandoned,
  steps: (s) => [
    s.send('too-early', { template: reminder, channel: 'email' }),
    s.fetch('cart', {
      url: 'http://shop.example.com/carts/{{cartid}}',
      headers: { Authorization: env('shop-token') as never },
      response: z.object({ status: z.string() }),
      timeout: '2m',
      onError: 'continue',
    }),
    s.branch('b', [{ when: s.fetched('cart', 'stauts').eq('open'), then: [] }, { when: s.fetched('kart', 'status').exists(), then: [] }]),
    s.send('typo', { template: typo, channel: 'email' }),
    s.fetch('host', { url: 'https://{{cart_id}}.shop.example.com/carts', response: z.object({}) }),
    s.fetch('secrets', { url: 'https://api.example.com/x', headers: { a: env('DATABASE_URL'), b: env('SENDGRID_API_KEY') }, response: z.object({}) }),
  ],
});
`;

let valid: BuildResult;
let broken: BuildResult;
beforeAll(async () => {
  [valid, broken] = await Promise.all([
    buildTree('fetch-valid', { 'events.ts': EVENTS, 'flows.ts': VALID }),
    buildTree('fetch-broken', { 'events.ts': EVENTS, 'flows.ts': BROKEN }),
  ]);
}, 120_000);
afterAll(() => {
  removeTree('fetch-valid');
  removeTree('fetch-broken');
});

describe('fetch step in the bundle', () => {
  it('holds the request with env names only, the answer as JSON Schema, and the defaults', () => {
    expect(valid.diagnostics.map(brief)).toEqual([]);
    const step = valid.bundle?.workflows.chase?.steps[0];
    expect(step).toEqual({
      kind: 'fetch',
      id: 'cart',
      url: 'https://shop.example.com/carts/{{cart_id}}',
      headers: { Accept: { value: 'application/json' }, Authorization: { env: 'SHOP_TOKEN' } },
      response: expect.objectContaining({ type: 'object', properties: { status: { type: 'string', enum: ['open', 'paid'] } } }),
      timeoutMs: 5_000,
      onError: 'fail',
    });
    expect(valid.bundle?.workflows.chase?.steps[1]).toMatchObject({
      arms: [{ when: { op: 'compare', left: { ref: 'fetched.cart.status' }, cmp: 'eq', right: 'open' } }],
    });
  });
});

describe('fetch checks', () => {
  it('reports each mistake at its line', () => {
    expect(broken.bundle).toBeNull();
    expect(broken.diagnostics.map(brief)).toEqual([
      expect.stringMatching(
        /^flows\.ts:6 bad-fetch: send "too-early" uses template "reminder", which reads \{\{fetched\.cart\.status\}\}: .*fetch "cart", which does not always run before/,
      ),
      expect.stringMatching(
        /^flows\.ts:8 bad-fetch: fetch "cart": url "http:\/\/shop\.example\.com\/carts\/\{\{cartid\}\}" is plain http to shop\.example\.com/,
      ),
      'flows.ts:8 bad-fetch: fetch "cart": url reads {{cartid}}, but event "cart_abandoned" has no field "cartid" | did you mean "cart_id"?',
      expect.stringMatching(/^flows\.ts:9 bad-fetch: fetch "cart": header "Authorization" is neither text nor env\('NAME'\)/),
      expect.stringMatching(/^flows\.ts:11 bad-fetch: fetch "cart" has a timeout of 120000 ms/),
      'flows.ts:14 bad-fetch: branch "b": "fetched.cart.stauts": the response of fetch "cart" has no field "stauts" | did you mean "status"?',
      'flows.ts:14 bad-fetch: branch "b": "fetched.kart.status" reads fetch "kart", which does not always run before this point | did you mean "cart"?',
      expect.stringMatching(/^flows\.ts:15 bad-fetch: send "typo" uses template "typo", which reads \{\{fetched\.cart\.stauts\}\}: .*no field "stauts"/),
      expect.stringMatching(
        /^flows\.ts:16 bad-fetch: fetch "host": url .* has a \{\{…\}\} variable in its scheme, host or port: .* \| write the scheme, host and port as text/,
      ),
      expect.stringMatching(
        /^flows\.ts:17 bad-fetch: fetch "secrets": header "a" reads env\('DATABASE_URL'\): DATABASE_URL is one of the runtime's own settings/,
      ),
      expect.stringMatching(
        /^flows\.ts:17 bad-fetch: fetch "secrets": header "b" reads env\('SENDGRID_API_KEY'\): SENDGRID_API_KEY holds a provider's credentials/,
      ),
    ]);
  });
});
