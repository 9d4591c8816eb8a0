/**
 * The webhook channel end to end: a notifications tree with `provider(…, { channel: 'webhook', url: env(…),
 * secret: env(…) })` and a template's `webhook: { body }` compiled, run by the real runtime (pg-boss driver);
 * a local receiver verifies each POST with the `standardwebhooks` package's own verifier (a bad signature would
 * be answered 401), and the message log says `delivered`. At compile time, a `{{variable}}` inside the JSON body
 * is checked like any template field.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../runtime/server.ts';
import { startFakeWebhookReceiver, type FakeProvider } from '../fakes/providers.ts';
import { brief, buildTree, compileTree, removeTree, ROOT } from '../setup/tree.ts';
import { client, eventually, messagesOf, startTestRuntime, type Api } from './harness.ts';

const SECRET = `whsec_${Buffer.from('herald-webhook-channel-test-secret').toString('base64')}`;

const tree = (body: string) => `import { env, event, provider, settings, template, workflow, z } from 'herald';
export const config = settings({ addressGrace: '0s' });
export const signedUp = event('signed_up', { schema: z.object({ first_name: z.string(), plan_type: z.enum(['free', 'pro']) }) });
export const crm = provider('crm-hook', { channel: 'webhook', url: env('CRM_HOOK_URL'), secret: env('CRM_HOOK_SECRET') });
export const toCrm = template('to-crm', {
  data: signedUp,
  webhook: { body: ${body} },
});
export const sync = workflow('crm-sync', { trigger: signedUp, steps: (s) => [s.send('to-crm', { template: toCrm, channel: 'webhook' })] });
`;

let receiver: FakeProvider;
let runtime: Runtime;
let api: Api;

beforeAll(async () => {
  receiver = await startFakeWebhookReceiver({ secret: SECRET });
  const bundle = await compileTree(join(ROOT, 'test', `.tmp-webhook-channel-${process.pid}`), {
    'tree.ts': tree(
      `{ event: 'signed_up', user: '{{user.id}}', name: '{{first_name}}', plan: { type: '{{plan_type}}', tags: ['new', '{{plan_type}}'] }, score: 1 }`,
    ),
  });
  // A developer's runtime: the outbound guard allows http to loopback (where the receiver listens) only in development.
  runtime = await startTestRuntime('webhook_channel', {
    bundle,
    env: { CRM_HOOK_URL: `${receiver.url}/herald`, CRM_HOOK_SECRET: SECRET },
    mode: 'development',
  });
  api = client(runtime);
}, 120_000);
afterAll(async () => {
  await runtime?.stop();
  await receiver?.close();
  removeTree('webhook-unknown-variable');
});

describe('webhook channel', () => {
  it('POSTs the rendered JSON, signed (verified by the standardwebhooks verifier), and logs the message delivered', async () => {
    await api('PUT', '/v1/users/ada', { email: 'ada@example.com' });
    const sent = await api('POST', '/v1/events', { event: 'signed_up', userId: 'ada', properties: { first_name: 'Ada "the first"', plan_type: 'pro' } });
    expect(sent.status).toBeLessThan(300);
    const [message] = await eventually('the webhook message is delivered', async () => {
      const messages = await messagesOf(api, 'ada');
      return messages.length && messages.every((m) => m.status === 'delivered') ? messages : null;
    });
    expect(message).toMatchObject({ channel: 'webhook', status: 'delivered' });
    expect(receiver.requests).toHaveLength(1);
    const [request] = receiver.requests;
    expect(request!.answer?.status).toBe(200); // not 401: the signature verified
    expect(request!.headers['webhook-id']).toBe(message!.id);
    expect(request!.headers['content-type']).toBe('application/json');
    expect(request!.path).toBe('/herald');
    expect(request!.body).toEqual({ event: 'signed_up', user: 'ada', name: 'Ada "the first"', plan: { type: 'pro', tags: ['new', 'pro'] }, score: 1 });
  });

  it('checks the variables inside the JSON body at compile time, with file:line', async () => {
    const built = await buildTree('webhook-unknown-variable', { 'tree.ts': tree(`{ user: '{{user.id}}', name: '{{frist_name}}' }`) });
    expect(built.diagnostics.map(brief)).toEqual([expect.stringMatching(/^tree\.ts:7 .*frist_name.*first_name/)]);
  });
});
