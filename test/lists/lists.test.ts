/**
 * Lists through HTTP: create, rename, read, delete; members added with data, removed, and paged by user id
 * (keyset: no member twice and none skipped across pages, even while members are being added); ids and
 * patterns checked with 400s that say why; a deleted user leaves every list.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { matchesPattern, parseListPattern, type ListPattern } from '../../runtime/lists/ids.ts';
import type { Runtime } from '../../runtime/server.ts';
import { client, startTestRuntime, type Api } from '../runtime/harness.ts';

let runtime: Runtime;
let api: Api;

beforeAll(async () => {
  runtime = await startTestRuntime('lists');
  api = client(runtime);
});
afterAll(async () => {
  await runtime?.stop();
});

interface Page {
  items: { userId: string; data: Record<string, unknown> }[];
  next: string | null;
}

describe('lists', () => {
  it('creates, renames, reads and deletes a list; a PUT without a name keeps it', async () => {
    expect((await api('PUT', '/v1/lists/project:123:watchers', { name: 'Watchers' })).body).toMatchObject({
      id: 'project:123:watchers',
      name: 'Watchers',
      members: 0,
    });
    expect((await api('PUT', '/v1/lists/project:123:watchers', {})).body).toMatchObject({ name: 'Watchers' });
    expect((await api('PUT', '/v1/lists/project:123:watchers', { name: 'Followers' })).body).toMatchObject({ name: 'Followers' });
    expect((await api('GET', '/v1/lists/project:123:watchers')).body).toMatchObject({ id: 'project:123:watchers', name: 'Followers' });
    expect((await api('DELETE', '/v1/lists/project:123:watchers')).status).toBe(204);
    expect((await api('GET', '/v1/lists/project:123:watchers')).status).toBe(404);
    expect((await api('DELETE', '/v1/lists/project:123:watchers')).status).toBe(404);
  });

  it('adds members with data (making the list), replaces their data, removes them', async () => {
    const added = await api('PUT', '/v1/lists/teams.acme.admins/members/ann', { data: { role: 'owner' } });
    expect(added.status).toBe(201);
    expect((await api('PUT', '/v1/lists/teams.acme.admins/members/ann', { data: { role: 'admin' } })).status).toBe(200);
    await api('PUT', '/v1/lists/teams.acme.admins/members/bob');
    const page = await api<Page>('GET', '/v1/lists/teams.acme.admins/members');
    expect(page.body).toEqual({
      items: [expect.objectContaining({ userId: 'ann', data: { role: 'admin' } }), expect.objectContaining({ userId: 'bob', data: {} })],
      next: null,
    });
    expect((await api('GET', '/v1/lists/teams.acme.admins')).body).toMatchObject({ members: 2 });
    expect((await api('DELETE', '/v1/lists/teams.acme.admins/members/bob')).status).toBe(204);
    expect((await api('DELETE', '/v1/lists/teams.acme.admins/members/bob')).status).toBe(404);
    expect((await api<Page>('GET', '/v1/lists/teams.acme.admins/members')).body.items.map((m) => m.userId)).toEqual(['ann']);
  });

  it('refuses bad ids, patterns as ids, bad data and bad page sizes with a 400 that says why', async () => {
    const star = await api<{ error: { message: string } }>('PUT', '/v1/lists/teams.*', {});
    expect(star.status).toBe(400);
    expect(star.body.error.message).toContain('list pattern');
    const space = await api<{ error: { message: string } }>('PUT', `/v1/lists/${encodeURIComponent('a b')}`, {});
    expect(space.status).toBe(400);
    expect(space.body.error.message).toContain('segments separated by single dots');
    expect((await api('PUT', '/v1/lists/a..b', {})).status).toBe(400);
    expect((await api('PUT', `/v1/lists/${'x'.repeat(256)}`, {})).status).toBe(400);
    expect((await api('PUT', '/v1/lists/ok/members/u1', { data: 'not an object' })).status).toBe(400);
    expect((await api('GET', '/v1/lists/ok/members?limit=0')).status).toBe(400);
    expect((await api('GET', '/v1/lists/ok/members?limit=abc')).status).toBe(400);
    expect((await api('GET', '/v1/lists/nowhere/members')).status).toBe(404);
  });

  it('refuses a user id with a NUL (Postgres text cannot hold one) with a 400, on /v1 and on Courier’s routes', async () => {
    const nul = encodeURIComponent('u\u0000x');
    expect((await api('PUT', `/v1/lists/ok/members/${nul}`, {})).status).toBe(400);
    expect((await api('GET', `/v1/lists/ok/members?after=${nul}`)).status).toBe(400);
    expect((await api('PUT', '/lists/ok/subscriptions', { recipients: [{ recipientId: 'u\u0000x' }] })).status).toBe(400);
  });

  it('needs an API key', async () => {
    const r = await fetch(`${runtime.url}/v1/lists/x`);
    expect(r.status).toBe(401);
  });

  it('pages members by user id: every member exactly once across pages, while members are being added', async () => {
    const ids = Array.from({ length: 120 }, (_, i) => `u${String(i * 2).padStart(4, '0')}`);
    for (const id of ids) await api('PUT', `/v1/lists/paged/members/${id}`);
    const seen: string[] = [];
    const added: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 100; page++) {
      const r: { body: Page } = await api<Page>('GET', `/v1/lists/paged/members?limit=7${after ? `&after=${after}` : ''}`);
      seen.push(...r.body.items.map((m) => m.userId));
      // Between pages, a member is added behind the cursor and one ahead of it (odd ids fall between the others).
      const behind = `u${String(page * 2 + 1).padStart(4, '0')}`;
      const ahead = `u${String(240 + page * 2 + 1).padStart(4, '0')}`;
      await api('PUT', `/v1/lists/paged/members/${behind}`);
      await api('PUT', `/v1/lists/paged/members/${ahead}`);
      added.push(behind, ahead);
      if (!r.body.next) break;
      after = r.body.next;
    }
    expect(new Set(seen).size).toBe(seen.length);
    // Every member there from the start is seen once; no one is skipped; those added ahead of the cursor are seen too.
    for (const id of ids) expect(seen).toContain(id);
    expect(seen).toEqual([...seen].sort());
    const all = (await api<Page>('GET', '/v1/lists/paged/members?limit=1000')).body.items.map((m) => m.userId);
    expect(all).toHaveLength(ids.length + new Set(added).size);
  });

  it('removes a deleted user from every list', async () => {
    await api('PUT', '/v1/lists/leaving.a/members/leaver', { data: { x: 1 } });
    await api('PUT', '/v1/lists/leaving.b/members/leaver');
    await api('PUT', '/v1/users/leaver', { email: 'leaver@example.com' });
    expect((await api('DELETE', '/v1/users/leaver')).status).toBe(200);
    expect((await api<Page>('GET', '/v1/lists/leaving.a/members')).body.items).toEqual([]);
    expect((await api<Page>('GET', '/v1/lists/leaving.b/members')).body.items).toEqual([]);
  });
});

describe('list patterns', () => {
  const parsed = (p: string) => parseListPattern(p) as ListPattern;
  it('matches one or more trailing segments with a final *, exactly one in the middle', () => {
    expect(matchesPattern(parsed('a.b.*'), 'a.b.c')).toBe(true);
    expect(matchesPattern(parsed('a.b.*'), 'a.b.c.d')).toBe(true);
    expect(matchesPattern(parsed('a.b.*'), 'a.b')).toBe(false);
    expect(matchesPattern(parsed('a.b.*'), 'a.bc.d')).toBe(false);
    expect(matchesPattern(parsed('a.*.c'), 'a.x.c')).toBe(true);
    expect(matchesPattern(parsed('a.*.c'), 'a.x.y.c')).toBe(false);
  });
  it('refuses patterns without a literal first segment or without a *', () => {
    expect(parseListPattern('*')).toHaveProperty('problem');
    expect(parseListPattern('*.b')).toHaveProperty('problem');
    expect(parseListPattern('a.b')).toHaveProperty('problem');
    expect(parseListPattern('a.b*')).toHaveProperty('problem');
  });
});
