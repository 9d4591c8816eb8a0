/**
 * Maps built from stored rows: a preference row named `__proto__` (written before ids were checked, or by
 * hand) is read back as a row like any other, and never reaches Object.prototype of the process loading it.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Runtime } from '../../runtime/server.ts';
import { client, startTestRuntime, type Api } from '../runtime/harness.ts';

let runtime: Runtime;
let api: Api;

beforeAll(async () => {
  runtime = await startTestRuntime('stored_rows');
  api = client(runtime);
}, 90_000);

afterAll(async () => {
  await runtime?.stop();
});

it('reads a stored __proto__ preference row without polluting the process', async () => {
  await api('PUT', '/v1/users/stored-1', { email: 'stored@example.com' });
  await runtime.db.query(
    "INSERT INTO herald.preferences (user_id, category, channel, allowed) VALUES ('stored-1', '__proto__', 'sms', true), ('stored-1', 'constructor', 'email', false)",
  );
  const prefs = await api<{ categories: Record<string, unknown> }>('GET', '/v1/users/stored-1/preferences');
  expect(prefs.status).toBe(200);
  // Loading the user builds a map from those rows: a plain object would have set Object.prototype.sms.
  expect(({} as Record<string, unknown>).sms).toBeUndefined();
  expect(Object.hasOwn(Object.prototype, 'sms')).toBe(false);
  // And the user's real preferences answer as before.
  expect(Object.keys(prefs.body.categories)).not.toContain('__proto__');
});
