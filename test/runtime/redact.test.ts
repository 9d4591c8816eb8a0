/** `HERALD_REDACT=content,payloads`: the message log keeps the status history but not bodies or provider responses. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Runtime } from '../../runtime/server.ts';
import { client, eventually, messagesOf, startTestRuntime, type Api } from './harness.ts';

let runtime: Runtime;
let api: Api;

beforeAll(async () => {
  runtime = await startTestRuntime('redact', { env: { HERALD_REDACT: 'content,payloads' } });
  api = client(runtime);
});
afterAll(async () => {
  await runtime?.stop();
});

it('logs a sent message without its content or the provider’s response', async () => {
  await api('PUT', '/v1/users/quiet', { email: 'quiet@example.com' });
  await api('POST', '/v1/events', { event: 'trial_started', userId: 'quiet', properties: { first_name: 'Ada', plan_type: 'pro' } });
  const welcome = await eventually('the welcome email', async () => (await messagesOf(api, 'quiet')).find((m) => m.step === 'welcome' && m.status === 'sent'));
  expect(welcome.content).toBeNull();
  expect(welcome.providerResponse).toBeNull();
  expect(welcome.history.map((h) => h.status)).toEqual(['queued', 'sent']);
});
