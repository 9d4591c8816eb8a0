/**
 * Tenants on the real runtime (HTTP, PostgreSQL, pg-boss, the sandbox provider): `/v1/tenants` with its brand keys
 * checked against the bundle's declared brand; a trigger's `tenant` rendering the tenant's brand in the email the
 * sandbox captured (another tenant's its own, no tenant the default); a tenant's default turning a category off
 * (skipped, the why-log naming the rule) while a user who opted in still gets it, and a required category still
 * sending; the message log filtered by tenant.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxDelivery } from '../../runtime/delivery/providers/sandbox.ts';
import type { Runtime } from '../../runtime/server.ts';
import { get, login, overHttp } from '../dashboard/helpers.ts';
import { client, eventually, messagesOf, startTestRuntime, type Api, type MessageView } from '../runtime/harness.ts';

let runtime: Runtime;
let api: Api;
const captured: SandboxDelivery[] = [];

beforeAll(async () => {
  runtime = await startTestRuntime('tenants', { onSandboxDelivery: (d) => captured.push(d) });
  api = client(runtime);
});
afterAll(async () => {
  await runtime?.stop();
});

const user = (id: string) => api('PUT', `/v1/users/${id}`, { email: `${id}@example.com`, phone_number: `+1555000${id.length}${id.charCodeAt(0) % 10}00` });
const trial = async (userId: string, tenant?: string) => {
  const r = await api<{ runs: string[] }>('POST', '/v1/events', {
    event: 'trial_started',
    userId,
    properties: { first_name: 'Ada', plan_type: 'pro' },
    ...(tenant ? { tenant } : {}),
  });
  expect(r.status).toBe(202);
  return r.body.runs[0]!;
};
const welcomeEmailOf = (userId: string) =>
  eventually(`${userId}'s welcome email`, async () => captured.find((d) => d.channel === 'email' && d.to === `${userId}@example.com`));
const messageOf = (userId: string, step: string) =>
  eventually<MessageView>(`${userId}'s ${step}`, async () => (await messagesOf(api, userId)).find((m) => m.step === step));

describe('the tenants API', () => {
  it('creates, reads, lists and deletes a tenant', async () => {
    const put = await api('PUT', '/v1/tenants/t-crud', { name: 'Crud', properties: { plan: 'enterprise' } });
    expect(put.status).toBe(201);
    expect(put.body).toMatchObject({
      tenant: { id: 't-crud', name: 'Crud', brand: {}, defaultPreferences: { categories: {} }, properties: { plan: 'enterprise' } },
    });
    // A field left out keeps its value.
    expect((await api('PUT', '/v1/tenants/t-crud', { brand: { name: 'Crud Ltd' } })).body).toMatchObject({
      tenant: { name: 'Crud', brand: { name: 'Crud Ltd' }, properties: { plan: 'enterprise' } },
    });
    expect((await api('GET', '/v1/tenants/t-crud')).body).toMatchObject({ tenant: { id: 't-crud', brand: { name: 'Crud Ltd' } } });
    await api('PUT', '/v1/tenants/t-crud-2', {});
    const first = await api<{ tenants: { id: string }[]; next: string | null }>('GET', '/v1/tenants?limit=1');
    const second = await api<{ tenants: { id: string }[]; next: string | null }>('GET', `/v1/tenants?limit=1&cursor=${first.body.next}`);
    expect([first.body.tenants[0]!.id, second.body.tenants[0]!.id]).toEqual(['t-crud', 't-crud-2']);
    expect((await api('DELETE', '/v1/tenants/t-crud')).status).toBe(200);
    expect((await api('DELETE', '/v1/tenants/t-crud-2')).status).toBe(200);
    expect((await api('GET', '/v1/tenants/t-crud')).status).toBe(404);
  });

  it('refuses a brand key the bundle does not declare (422, naming it and the declared ones), and defaults for unknown or required categories', async () => {
    const unknown = await api<{ error: { message: string } }>('PUT', '/v1/tenants/t-bad', { brand: { slogan: 'Go' } });
    expect(unknown.status).toBe(422);
    expect(unknown.body.error.message).toBe(
      'brand key "slogan" is not declared by the live bundle\'s settings({ brand }) (declared: name, logoUrl, colors.primary, postalAddress)',
    );
    const colour = await api<{ error: { message: string } }>('PUT', '/v1/tenants/t-bad', { brand: { colors: { secondary: '#000' } } });
    expect(colour.status).toBe(422);
    expect(colour.body.error.message).toMatch(/brand key "colors.secondary"/);
    const category = await api<{ error: { message: string } }>('PUT', '/v1/tenants/t-bad', { defaultPreferences: { categories: { nope: { email: false } } } });
    expect(category.status).toBe(422);
    expect(category.body.error.message).toMatch(/unknown category "nope"/);
    const required = await api<{ error: { message: string } }>('PUT', '/v1/tenants/t-bad', {
      defaultPreferences: { categories: { security: { sms: false } } },
    });
    expect(required.status).toBe(422);
    expect(required.body.error.message).toMatch(/category "security" is required/);
    expect((await api('GET', '/v1/tenants/t-bad')).status).toBe(404);
  });
});

describe('tenant branding', () => {
  it("renders each tenant's brand over the default, key by key, and the default without a tenant", async () => {
    await api('PUT', '/v1/tenants/acme', { name: 'Acme', brand: { name: 'Acme Corp', postalAddress: '42 Acme Way, Gotham', colors: { primary: '#ff0000' } } });
    await api('PUT', '/v1/tenants/globex', { name: 'Globex', brand: { name: 'Globex', postalAddress: '7 Globex Plaza, Cypress Creek' } });
    for (const id of ['b-acme', 'b-globex', 'b-none']) await user(id);
    await trial('b-acme', 'acme');
    await trial('b-globex', 'globex');
    await trial('b-none');

    const acme = (await welcomeEmailOf('b-acme')).content;
    expect(acme.html).toContain('Acme Corp, 42 Acme Way, Gotham');
    expect(acme.html).toContain('color:#ff0000');
    expect(acme.text).toContain('Acme Corp, 42 Acme Way, Gotham');
    const globex = (await welcomeEmailOf('b-globex')).content;
    expect(globex.html).toContain('Globex, 7 Globex Plaza, Cypress Creek');
    // A key the tenant does not set keeps the default's value.
    expect(globex.html).toContain('color:#0a66c2');
    const none = (await welcomeEmailOf('b-none')).content;
    expect(none.html).toContain('Example Inc., 1 Example Street, Springfield');
    expect(none.html).not.toContain('Acme');
  });

  it('filters the message log by tenant: the messages API and the dashboard list', async () => {
    await welcomeEmailOf('b-acme');
    const ofAcme = await api<{ messages: MessageView[] }>('GET', '/v1/users/b-acme/messages?tenant=acme');
    expect(ofAcme.body.messages.find((m) => m.step === 'welcome')).toMatchObject({ tenant: 'acme', status: 'sent' });
    expect((await api<{ messages: MessageView[] }>('GET', '/v1/users/b-acme/messages?tenant=globex')).body.messages).toEqual([]);
    const web = overHttp(runtime.url);
    const page = await get(web, '/dashboard?tenant=acme', await login(web, runtime.url));
    expect(page.status).toBe(200);
    const html = page.text;
    expect(html).toContain('b-acme');
    expect(html).not.toContain('b-globex');
    expect(html).toContain('name="tenant" value="acme"');
  });

  it('creates a tenant first named by a trigger (as Knock does), empty: the default brand', async () => {
    await user('b-new');
    await trial('b-new', 'brand-new-tenant');
    expect((await api('GET', '/v1/tenants/brand-new-tenant')).body).toMatchObject({ tenant: { id: 'brand-new-tenant', name: null, brand: {} } });
    expect((await welcomeEmailOf('b-new')).content.html).toContain('Example Inc.');
  });

  it('refuses a tenant id that cannot be one', async () => {
    const r = await api('POST', '/v1/events', { event: 'trial_started', userId: 'x', properties: { first_name: 'A', plan_type: 'pro' }, tenant: '' });
    expect(r.status).toBe(400);
    // A cursor is one this API returned (a tenant id, base64url): one that decodes to a NUL is a 400, not a 500.
    const cursor = Buffer.from('a\u0000b').toString('base64url');
    expect((await api('GET', `/v1/tenants?cursor=${cursor}`)).status).toBe(400);
    expect((await api('GET', `/tenants?cursor=${cursor}`)).status).toBe(400);
  });
});

describe('tenant default preferences', () => {
  it("turns a category off for the tenant's users (skipped, rule tenant-default), while a user who opted in still gets it", async () => {
    await api('PUT', '/v1/tenants/quiet', { defaultPreferences: { categories: { onboarding: { email: false } } } });
    await user('p-default');
    await user('p-opted-in');
    await api('PUT', '/v1/users/p-opted-in/preferences', { categories: { onboarding: { email: true } } });
    const skippedRun = await trial('p-default', 'quiet');
    await trial('p-opted-in', 'quiet');

    const skipped = await messageOf('p-default', 'welcome');
    expect(skipped).toMatchObject({ channel: 'email', status: 'skipped', reason: 'preference' });
    const run = await api<{ run: { history: { stepId: string; outcome: string; detail?: Record<string, unknown> }[] } }>('GET', `/v1/runs/${skippedRun}`);
    const dispatched = run.body.run.history.find((h) => h.stepId === 'welcome' && h.detail && 'skipped' in h.detail);
    expect(JSON.stringify(dispatched?.detail)).toContain('"rule":"tenant-default"');
    expect(await messageOf('p-opted-in', 'welcome')).toMatchObject({ channel: 'email', status: 'sent' });

    // The same user without the tenant: the category's default (email on).
    await user('p-elsewhere');
    await trial('p-elsewhere');
    expect(await messageOf('p-elsewhere', 'welcome')).toMatchObject({ status: 'sent' });
  });

  it('still sends a required category, whatever a tenant default says', async () => {
    // A default stored for a category that was not required when it was set (the API refuses it now).
    await api('PUT', '/v1/tenants/strict', {});
    await runtime.db.query(`UPDATE herald.tenants SET default_preferences = '{"categories":{"security":{"sms":false,"email":false}}}' WHERE id = 'strict'`);
    await user('p-required');
    await api('POST', '/v1/events', {
      event: 'security_code_requested',
      userId: 'p-required',
      properties: { code: '123456', expires_in_minutes: 10 },
      tenant: 'strict',
    });
    expect(await messageOf('p-required', 'code')).toMatchObject({ status: 'sent' });
  });
});
