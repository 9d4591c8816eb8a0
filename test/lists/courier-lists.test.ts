/**
 * Courier's own client (`@trycourier/courier`, `baseURL` = the runtime) manages a list and its subscriptions and
 * sends to it, and to a list pattern: every member gets the message (through the sandbox provider), once.
 */
import Courier from '@trycourier/courier';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../runtime/server.ts';
import { API_KEY, client, eventually, messagesOf, startTestRuntime, type Api } from '../runtime/harness.ts';

let runtime: Runtime;
let api: Api;
let courier: Courier;

beforeAll(async () => {
  runtime = await startTestRuntime('lists-courier');
  api = client(runtime);
  courier = new Courier({ apiKey: API_KEY, baseURL: runtime.url, maxRetries: 0 });
});
afterAll(async () => {
  await runtime?.stop();
});

const sentEmails = async (userId: string) => (await messagesOf(api, userId)).filter((m) => m.channel === 'email' && m.status === 'sent');

describe('Courier lists through Courier’s own client', () => {
  it('creates a list, subscribes users, lists, replaces and removes subscriptions, deletes the list', async () => {
    await courier.lists.update('courier.team', { name: 'The team' });
    expect(await courier.lists.retrieve('courier.team')).toMatchObject({ id: 'courier.team', name: 'The team' });
    await courier.lists.subscriptions.subscribe('courier.team', { recipients: [{ recipientId: 'a1' }, { recipientId: 'a2' }] });
    await courier.lists.subscriptions.add('courier.team', { recipients: [{ recipientId: 'a3' }] });
    await courier.lists.subscriptions.subscribeUser('a4', { list_id: 'courier.team' });
    const all = await courier.lists.subscriptions.list('courier.team');
    expect(all.items.map((i) => i.recipientId)).toEqual(['a1', 'a2', 'a3', 'a4']);
    expect(all.paging.more).toBe(false);
    await courier.lists.subscriptions.unsubscribeUser('a4', { list_id: 'courier.team' });
    // PUT replaces every subscription.
    await courier.lists.subscriptions.subscribe('courier.team', { recipients: [{ recipientId: 'a2' }, { recipientId: 'a5' }] });
    expect((await courier.lists.subscriptions.list('courier.team')).items.map((i) => i.recipientId)).toEqual(['a2', 'a5']);
    // The same list through /v1.
    expect((await api<{ members: number }>('GET', '/v1/lists/courier.team')).body.members).toBe(2);
    await courier.lists.delete('courier.team');
    await expect(courier.lists.retrieve('courier.team')).rejects.toMatchObject({ status: 404 });
  });

  it('sends to a list: every member gets the message, each with their own profile', async () => {
    for (const id of ['l1', 'l2', 'l3']) await courier.profiles.create(id, { profile: { email: `${id}@example.com`, first_name: id.toUpperCase() } });
    await courier.lists.subscriptions.subscribe('courier.news', { recipients: [{ recipientId: 'l1' }, { recipientId: 'l2' }, { recipientId: 'l3' }] });
    const { requestId } = await courier.send.message({
      message: {
        to: { list_id: 'courier.news' },
        content: { title: 'News for {{first_name}}', body: 'Hello {{first_name}}, {{topic}} is out.' },
        data: { topic: 'v2' },
        routing: { method: 'single', channels: ['email'] },
      },
    });
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    for (const id of ['l1', 'l2', 'l3']) {
      const sent = await eventually(`${id}'s email`, async () => {
        const emails = await sentEmails(id);
        return emails.length ? emails : null;
      });
      expect(sent).toHaveLength(1);
    }
    const progress = await api<{ status: string; planned: number; started: number; kind: string }>('GET', `/v1/fanouts/${requestId}`);
    expect(progress.body).toMatchObject({ kind: 'courier', status: 'done', planned: 3, started: 3 });
  });

  it('sends to a list pattern: members of every matching list, each once', async () => {
    for (const id of ['p1', 'p2', 'p3']) await courier.profiles.create(id, { profile: { email: `${id}@example.com` } });
    await courier.lists.subscriptions.subscribe('courier.proj.a', { recipients: [{ recipientId: 'p1' }, { recipientId: 'p2' }] });
    await courier.lists.subscriptions.subscribe('courier.proj.b', { recipients: [{ recipientId: 'p2' }, { recipientId: 'p3' }] });
    const { requestId } = await courier.send.message({
      message: {
        to: { list_pattern: 'courier.proj.*' },
        content: { title: 'Ship it', body: 'The project shipped.' },
        routing: { method: 'single', channels: ['email'] },
      },
    });
    await eventually('the fan-out done', async () => (await api<{ status: string }>('GET', `/v1/fanouts/${requestId}`)).body.status === 'done');
    for (const id of ['p1', 'p2', 'p3']) {
      const sent = await eventually(`${id}'s email`, async () => {
        const emails = await sentEmails(id);
        return emails.length ? emails : null;
      });
      expect(sent).toHaveLength(1);
    }
  });

  it('takes a subscription list that names a recipient twice (the last one wins), with no 500', async () => {
    const body = {
      recipients: [{ recipientId: 'd1', preferences: { first: true } }, { recipientId: 'd2' }, { recipientId: 'd1', preferences: { last: true } }],
    };
    for (const method of ['PUT', 'POST'] as const) {
      const r = await api(method, '/lists/courier.dupes/subscriptions', body);
      expect(r.status, JSON.stringify(r.body)).toBe(204);
    }
    const all = await api<{ items: { recipientId: string; preferences: unknown }[] }>('GET', '/lists/courier.dupes/subscriptions');
    expect(all.body.items).toMatchObject([
      { recipientId: 'd1', preferences: { last: true } },
      { recipientId: 'd2', preferences: null },
    ]);
  });

  it('refuses a bad list id in Courier’s error shape', async () => {
    await expect(courier.send.message({ message: { to: { list_id: 'a b' }, content: { title: 't', body: 'b' } } })).rejects.toMatchObject({ status: 400 });
    const r = await api<{ message: string; type: string }>('POST', '/send', { message: { to: { list_pattern: '*' }, content: { title: 't', body: 'b' } } });
    expect(r.status).toBe(400);
    expect(r.body.type).toBe('invalid_request_error');
    expect(r.body.message).toContain('message.to.list_pattern');
  });
});
