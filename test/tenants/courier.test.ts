/**
 * Courier's tenants through Courier's own client (`@trycourier/courier`, pointed at the runtime): create, read,
 * list and delete in Courier's shape, default preferences as Courier's items (an OPTED_OUT category turning the
 * tenant's users' sends off), and a send with `context.tenant_id` recorded with its messages and rendered with the
 * tenant's brand.
 */
import Courier from '@trycourier/courier';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxDelivery } from '../../runtime/delivery/providers/sandbox.ts';
import type { Runtime } from '../../runtime/server.ts';
import { API_KEY, client, eventually, messagesOf, startTestRuntime, type Api } from '../runtime/harness.ts';

let runtime: Runtime;
let api: Api;
let courier: Courier;
const captured: SandboxDelivery[] = [];

beforeAll(async () => {
  runtime = await startTestRuntime('courier_tenants', { onSandboxDelivery: (d) => captured.push(d) });
  api = client(runtime);
  courier = new Courier({ apiKey: API_KEY, baseURL: runtime.url, maxRetries: 0 });
});
afterAll(async () => {
  await runtime?.stop();
});

describe("Courier's tenants through Courier's client", () => {
  it('puts, gets, lists and deletes a tenant in Courier’s shape', async () => {
    const put = await courier.tenants.update('wayne', {
      name: 'Wayne Enterprises',
      brand_id: 'courier-brand-1',
      properties: { tier: 'gold' },
      default_preferences: {
        items: [
          { id: 'onboarding', status: 'OPTED_OUT' },
          { id: 'activity', status: 'OPTED_IN', has_custom_routing: true, custom_routing: ['inbox'] },
        ],
      },
    });
    expect(put).toMatchObject({ id: 'wayne', name: 'Wayne Enterprises', brand_id: 'courier-brand-1', properties: { tier: 'gold' } });
    const got = await courier.tenants.retrieve('wayne');
    // Stored as a JSON object: the items come back by category, not in the order sent.
    expect([...(got.default_preferences?.items ?? [])].sort((a, b) => a.id.localeCompare(b.id))).toEqual([
      { id: 'activity', status: 'OPTED_IN', has_custom_routing: true, custom_routing: ['inbox'] },
      { id: 'onboarding', status: 'OPTED_OUT', has_custom_routing: false, custom_routing: [] },
    ]);
    // The same tenant on Herald's own API.
    expect((await api('GET', '/v1/tenants/wayne')).body).toMatchObject({
      tenant: {
        defaultPreferences: { categories: { onboarding: { email: false, sms: false, push: false, inapp: false }, activity: { inapp: true, email: false } } },
      },
    });
    const list = await courier.tenants.list();
    expect(list.items.map((t) => t.id)).toContain('wayne');
    await courier.tenants.update('gone', { name: 'Gone' });
    await courier.tenants.delete('gone');
    await expect(courier.tenants.retrieve('gone')).rejects.toMatchObject({ status: 404 });
    // Audited as /v1/tenants's DELETE is: the Courier door is no way around the audit log.
    const audit = await runtime.db.query<{ action: string }>(`SELECT action FROM herald.audit_log WHERE target = 'tenant:gone'`);
    expect(audit.rows).toEqual([{ action: 'tenant_deleted' }]);
  });

  it('refuses a default for a category the bundle does not know', async () => {
    await expect(courier.tenants.update('bad', { name: 'Bad', default_preferences: { items: [{ id: 'nope', status: 'OPTED_OUT' }] } })).rejects.toMatchObject({
      status: 422,
    });
  });

  it('sends with context.tenant_id: the tenant recorded on its messages, its brand rendered', async () => {
    await api('PUT', '/v1/tenants/stark', { brand: { name: 'Stark Industries', postalAddress: '10880 Malibu Point' } });
    await api('PUT', '/v1/users/tony', { email: 'tony@example.com' });
    const sent = await courier.send.message({
      message: {
        to: { user_id: 'tony' },
        content: { title: 'Hello from {{brand.name}}', body: 'Sent for {{brand.name}}, {{brand.postalAddress}}' },
        routing: { method: 'single', channels: ['email'] },
        context: { tenant_id: 'stark' },
      },
    });
    expect(sent.requestId).toBeTruthy();
    const message = await eventually('tony’s email', async () => (await messagesOf(api, 'tony')).find((m) => m.status === 'sent'));
    expect(message).toMatchObject({ channel: 'email', tenant: 'stark' });
    const delivery = await eventually('the captured email', async () => captured.find((d) => d.to === 'tony@example.com'));
    expect(JSON.stringify(delivery.content)).toContain('Stark Industries, 10880 Malibu Point');
  });
});
