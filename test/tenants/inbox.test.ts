/**
 * The inbox scoped by tenant, on the real runtime: in-app items of a run with a tenant carry it; an inbox token
 * signed for a tenant lists, counts and changes that tenant's items only, a token without a tenant the items sent
 * without one only; another tenant's item id is a 404.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signInboxToken, verifyInboxToken } from '../../runtime/inbox/token.ts';
import type { Runtime } from '../../runtime/server.ts';
import { client, eventually, startTestRuntime, type Api } from '../runtime/harness.ts';

const SECRET = 'tenant-inbox-secret-0123456789abcdef';
let runtime: Runtime;
let api: Api;

beforeAll(async () => {
  runtime = await startTestRuntime('tenant_inbox', { env: { HERALD_INBOX_SECRET: SECRET } });
  api = client(runtime);
});
afterAll(async () => {
  await runtime?.stop();
});

interface Page {
  items: { id: string; title: string }[];
  unread: number;
}
const inbox = async <T = Page>(method: string, path: string, token: string) => {
  const r = await fetch(`${runtime.url}${path}`, { method, headers: { authorization: `Bearer ${token}` } });
  return { status: r.status, body: (await r.json()) as T };
};
const signUp = (userId: string, first_name: string, tenant?: string) =>
  api('POST', '/v1/events', { event: 'user_signed_up', userId, properties: { first_name, signup_source: 'web' }, ...(tenant ? { tenant } : {}) });

describe('inbox tokens with a tenant', () => {
  it('sign and verify the tenant claim (and only a non-empty one)', () => {
    const token = signInboxToken(SECRET, 'u1', 600, Date.now(), 'acme');
    expect(verifyInboxToken(SECRET, token)).toMatchObject({ ok: true, claim: { userId: 'u1', tenant: 'acme' } });
    expect(verifyInboxToken(SECRET, signInboxToken(SECRET, 'u1', 600))).toEqual({ ok: true, claim: { userId: 'u1', exp: expect.any(Number) } });
    expect(() => signInboxToken(SECRET, 'u1', 600, Date.now(), '')).toThrow(/tenant is empty/);
  });

  it("lists each tenant's items to its own token only, and untenanted items to a token without a tenant", async () => {
    const userId = 'inbox-tenant-user';
    await api('PUT', `/v1/users/${userId}`, { email: `${userId}@example.com` });
    await signUp(userId, 'Acme', 'acme');
    await signUp(userId, 'Globex', 'globex');
    await signUp(userId, 'Plain');
    const server = await eventually('three in-app items', async () => {
      const r = await api<{ items: { id: string; title: string; tenant_id: string | null }[] }>('GET', `/v1/users/${userId}/inbox`);
      return r.body.items.length === 3 ? r.body.items : null;
    });
    expect(server.map((i) => i.tenant_id).sort()).toEqual(['acme', 'globex', null].sort());

    const acme = signInboxToken(SECRET, userId, 600, Date.now(), 'acme');
    const plain = signInboxToken(SECRET, userId, 600);
    const other = signInboxToken(SECRET, userId, 600, Date.now(), 'initech');
    const ofAcme = await inbox('GET', '/v1/inbox', acme);
    expect(ofAcme.body.items.map((i) => i.title)).toEqual([expect.stringContaining('Acme')]);
    expect(ofAcme.body.unread).toBe(1);
    const ofPlain = await inbox('GET', '/v1/inbox', plain);
    expect(ofPlain.body.items.map((i) => i.title)).toEqual([expect.stringContaining('Plain')]);
    expect((await inbox('GET', '/v1/inbox', other)).body).toMatchObject({ items: [], unread: 0 });
    expect((await inbox('GET', '/v1/inbox/count', acme)).body).toEqual({ unread: 1 });

    // Another tenant's item is not there for this token: nothing changes.
    const globexItem = server.find((i) => i.tenant_id === 'globex')!;
    expect((await inbox('POST', `/v1/inbox/${globexItem.id}/read`, acme)).status).toBe(404);
    // Read all, with the acme token: only acme's item.
    expect((await inbox('POST', '/v1/inbox/read-all', acme)).body).toMatchObject({ updated: 1, unread: 0 });
    expect((await inbox('GET', '/v1/inbox/count', plain)).body).toEqual({ unread: 1 });
  });
});
