/**
 * In-app engagement through the end user's inbox API, on a real runtime: an item shown (list or stream) is
 * `delivered`, the list opened on it `seen`, the item opened `read`, its action followed `clicked`; each becomes an
 * engagement of the message's run exactly as an email webhook's open does (the example's onboarding waits for the
 * in-app nudge to be read), once however often it is reported; and read sync (welcome-everywhere's `readSync`)
 * marks the step's email and push read. The ids are hostile: only the token's own user's items count.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../runtime/server.ts';
import { signInboxToken } from '../../runtime/inbox/token.ts';
import { client, eventually, messagesOf, startTestRuntime, type Api, type MessageView } from '../runtime/harness.ts';
import { openSse, type SseStream } from './sse.ts';

const SECRET = 'inbox-engagement-secret-0123456789';

interface Item {
  id: string;
  readAt: string | null;
  seenAt: string | null;
}
interface RunView {
  status: string;
  engagements: Record<string, string[]>;
  history: { stepId: string; outcome: string; detail?: Record<string, unknown> }[];
}

let runtime: Runtime;
let api: Api;
const streams: SseStream[] = [];
let n = 0;

beforeAll(async () => {
  runtime = await startTestRuntime('inbox_engagement', { env: { HERALD_INBOX_SECRET: SECRET } });
  api = client(runtime);
}, 120_000);
afterAll(async () => {
  for (const s of streams) s.close();
  await runtime?.stop();
});

async function inbox<T = Record<string, unknown>>(method: string, path: string, userId: string, body?: unknown) {
  const response = await fetch(`${runtime.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${signInboxToken(SECRET, userId, 600)}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : null) as T };
}

async function newUser(): Promise<string> {
  const id = `engaged-${++n}-${Date.now()}`;
  const r = await api('PUT', `/v1/users/${id}`, { email: `${id}@example.com`, phone_number: '+15555550100', push_tokens: [`token-${id}`] });
  expect(r.status).toBe(200);
  return id;
}

const getRun = async (id: string) => (await api<{ run: RunView }>('GET', `/v1/runs/${id}`)).body.run;
const messageOf = async (userId: string, step: string, channel: string) =>
  (await messagesOf(api, userId)).find((m) => m.step === step && m.channel === channel);
const statusesOf = (m: MessageView) => m.history.map((h) => h.status);

/** The onboarding run of an active user, parked on `nudge-read` with its in-app nudge in the inbox. */
async function nudged(): Promise<{ userId: string; runId: string; itemId: string }> {
  const userId = await newUser();
  const trial = await api<{ runs: string[] }>('POST', '/v1/events', { event: 'trial_started', userId, properties: { first_name: 'Ada', plan_type: 'pro' } });
  expect(trial.status).toBe(202);
  expect((await api('POST', `/v1/users/${userId}/heartbeat`)).status).toBe(200);
  const runId = trial.body.runs[0]!;
  const itemId = await eventually('the in-app nudge in the inbox', async () => (await inbox<{ items: Item[] }>('GET', '/v1/inbox', userId)).body.items[0]?.id);
  await eventually('the run waiting for the read', async () => (await getRun(runId)).history.some((h) => h.stepId === 'nudge-read' && h.outcome === 'waiting'));
  return { userId, runId, itemId };
}

describe('in-app engagement from the inbox API', () => {
  it('listing reports delivered, opening the list seen, reading read: the wait for the read resumes, no email follows', async () => {
    const { userId, runId, itemId } = await nudged();
    // The GET that showed the item reported it delivered; listing again reports nothing more.
    await inbox('GET', '/v1/inbox', userId);
    const delivered = (await messageOf(userId, 'nudge-inapp', 'inapp'))!;
    expect(delivered.id).toBe(itemId);
    expect(delivered.status).toBe('delivered');
    expect(statusesOf(delivered).filter((s) => s === 'delivered')).toHaveLength(1);
    expect(delivered.history.at(-1)).toMatchObject({ status: 'delivered', source: 'inbox' });

    const seen = await inbox<{ updated: number; unread: number }>('POST', '/v1/inbox/seen', userId, { ids: [itemId] });
    expect(seen).toEqual({ status: 200, body: { updated: 1, unread: 1 } });
    expect((await inbox<{ updated: number }>('POST', '/v1/inbox/seen', userId, { ids: [itemId] })).body.updated).toBe(0);
    expect((await inbox<{ items: Item[] }>('GET', '/v1/inbox', userId)).body.items[0]).toMatchObject({ id: itemId, seenAt: expect.any(String), readAt: null });
    await eventually('the run to hear seen', async () => (await getRun(runId)).engagements['nudge-inapp']?.includes('seen'));
    // Seen is not read: the run still waits.
    expect((await getRun(runId)).status).toBe('waiting');

    const read = await inbox<{ item: Item; unread: number }>('POST', `/v1/inbox/${itemId}/read`, userId);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ item: { id: itemId, readAt: expect.any(String) }, unread: 0 });
    const run = await eventually('the run to complete', async () => {
      const r = await getRun(runId);
      return r.status === 'completed' ? r : null;
    });
    expect(run.history.find((h) => h.stepId === 'nudge-read' && h.outcome === 'matched')).toMatchObject({ detail: { engagement: 'read' } });
    expect(run.engagements['nudge-inapp']).toEqual(['delivered', 'seen', 'read']);
    const messages = await messagesOf(api, userId);
    expect(messages.filter((m) => m.step === 'nudge-email')).toEqual([]);
    const nudge = messages.find((m) => m.id === itemId)!;
    expect(nudge.status).toBe('read');
    expect(statusesOf(nudge).slice(-3)).toEqual(['delivered', 'seen', 'read']);

    // Read again (after unread): nothing new is reported. Following the action is a click, once.
    expect((await inbox('POST', `/v1/inbox/${itemId}/unread`, userId)).status).toBe(200);
    expect((await inbox('POST', `/v1/inbox/${itemId}/read`, userId)).status).toBe(200);
    const clicked = await inbox<{ item: Item; unread: number }>('POST', `/v1/inbox/${itemId}/click`, userId);
    expect(clicked.body).toMatchObject({ item: { id: itemId, readAt: expect.any(String) }, unread: 0 });
    await inbox('POST', `/v1/inbox/${itemId}/click`, userId);
    const after = (await messageOf(userId, 'nudge-inapp', 'inapp'))!;
    expect(after.status).toBe('clicked');
    expect(statusesOf(after).filter((s) => s === 'read' || s === 'clicked')).toEqual(['read', 'clicked']);
  }, 60_000);

  it('a click resolves a wait for a read (clicked ⇒ read)', async () => {
    const { userId, runId, itemId } = await nudged();
    expect((await inbox('POST', `/v1/inbox/${itemId}/click`, userId)).status).toBe(200);
    const run = await eventually('the run to complete', async () => {
      const r = await getRun(runId);
      return r.status === 'completed' ? r : null;
    });
    expect(run.history.find((h) => h.stepId === 'nudge-read' && h.outcome === 'matched')).toMatchObject({ detail: { engagement: 'clicked' } });
    expect((await messagesOf(api, userId)).filter((m) => m.step === 'nudge-email')).toEqual([]);
  }, 60_000);

  it('an open stream reports the items it shows delivered', async () => {
    const other = await newUser();
    expect((await api('POST', '/v1/events', { event: 'user_signed_up', userId: other, properties: { first_name: 'Bo', signup_source: 'web' } })).status).toBe(
      202,
    );
    const inapp = await eventually('the welcome in-app message', () => messageOf(other, 'welcome-all', 'inapp'));
    expect(inapp.status).toBe('sent');
    const stream = await openSse(`${runtime.url}/v1/inbox/stream?token=${encodeURIComponent(signInboxToken(SECRET, other, 600))}`);
    streams.push(stream);
    expect(stream.status).toBe(200);
    await stream.next<{ items: Item[] }>('snapshot', (d) => d.items.some((i) => i.id === inapp.id));
    const delivered = await eventually('delivered from the stream', async () => {
      const m = await messageOf(other, 'welcome-all', 'inapp');
      return m?.status === 'delivered' ? m : null;
    });
    expect(delivered.history.at(-1)).toMatchObject({ status: 'delivered', source: 'inbox' });
  }, 60_000);
});

describe('read sync (welcome-everywhere: readSync)', () => {
  async function signedUp() {
    const userId = await newUser();
    const r = await api('POST', '/v1/events', { event: 'user_signed_up', userId, properties: { first_name: 'Ada', signup_source: 'web' } });
    expect(r.status).toBe(202);
    const sent = await eventually('the three welcome messages', async () => {
      const all = (await messagesOf(api, userId)).filter((m) => m.step === 'welcome-all');
      return all.length === 3 && all.every((m) => m.status === 'sent') ? all : null;
    });
    const by = (channel: string) => sent.find((m) => m.channel === channel)!;
    return { userId, email: by('email'), push: by('push'), inapp: by('inapp') };
  }

  it('reading the in-app item marks the email and the push of the same step read, once', async () => {
    const { userId, email, push, inapp } = await signedUp();
    expect((await inbox('POST', `/v1/inbox/${inapp.id}/read`, userId)).status).toBe(200);
    const messages = await messagesOf(api, userId);
    for (const m of [email, push]) {
      const now = messages.find((x) => x.id === m.id)!;
      expect(now.status).toBe('read');
      expect(now.history.at(-1)).toMatchObject({ status: 'read', source: 'read-sync', from: inapp.id });
    }
    // A second read (after unread) and a click mark nothing again.
    await inbox('POST', `/v1/inbox/${inapp.id}/unread`, userId);
    await inbox('POST', `/v1/inbox/${inapp.id}/read`, userId);
    await inbox('POST', `/v1/inbox/${inapp.id}/click`, userId);
    const again = (await messagesOf(api, userId)).find((x) => x.id === email.id)!;
    expect(statusesOf(again).filter((s) => s === 'read')).toHaveLength(1);
  }, 60_000);

  it('never takes a clicked email back to read; read-all reports and syncs too', async () => {
    const { userId, email, push, inapp } = await signedUp();
    expect((await api('POST', `/v1/messages/${email.id}/events`, { event: 'clicked' })).status).toBe(202);
    const all = await inbox<{ updated: number; unread: number }>('POST', '/v1/inbox/read-all', userId);
    expect(all.body).toEqual({ updated: 1, unread: 0 });
    const messages = await messagesOf(api, userId);
    const byId = (id: string) => messages.find((m) => m.id === id)!;
    expect(byId(inapp.id).status).toBe('read');
    expect(byId(push.id)).toMatchObject({ status: 'read' });
    expect(byId(email.id).status).toBe('clicked');
    expect(byId(email.id).history.some((h) => (h as { source?: string }).source === 'read-sync')).toBe(false);
  }, 60_000);
});

describe('hostile ids', () => {
  it('another user’s item, an unknown id or a malformed one is a 404 to click; seen counts only the token’s own items', async () => {
    const victim = await newUser();
    expect((await api('POST', '/v1/events', { event: 'user_signed_up', userId: victim, properties: { first_name: 'Vi', signup_source: 'web' } })).status).toBe(
      202,
    );
    const item = await eventually('the victim’s item', () => messageOf(victim, 'welcome-all', 'inapp'));
    const attacker = await newUser();
    const notFound = { error: { code: 'not_found', message: `no inbox item "${item.id}"` } };
    expect(await inbox('POST', `/v1/inbox/${item.id}/click`, attacker)).toEqual({ status: 404, body: notFound });
    const unknown = randomUUID();
    expect(await inbox('POST', `/v1/inbox/${unknown}/click`, attacker)).toEqual({
      status: 404,
      body: { error: { code: 'not_found', message: `no inbox item "${unknown}"` } },
    });
    expect((await inbox('POST', '/v1/inbox/not-a-uuid/click', attacker)).status).toBe(404);
    expect((await inbox<{ updated: number }>('POST', '/v1/inbox/seen', attacker, { ids: [item.id, unknown] })).body).toEqual({ updated: 0, unread: 0 });
    // Nothing reached the victim's message.
    expect((await messageOf(victim, 'welcome-all', 'inapp'))!.status).toBe('sent');
  }, 60_000);

  it('bounds the seen body: ids are UUIDs, 1 to 100, and nothing else', async () => {
    const userId = await newUser();
    const ids = Array.from({ length: 101 }, () => randomUUID());
    expect((await inbox('POST', '/v1/inbox/seen', userId, { ids })).status).toBe(400);
    expect((await inbox('POST', '/v1/inbox/seen', userId, { ids: [] })).status).toBe(400);
    expect((await inbox('POST', '/v1/inbox/seen', userId, { ids: ['nope'] })).status).toBe(400);
    expect((await inbox('POST', '/v1/inbox/seen', userId, { ids: [randomUUID()], extra: 1 })).status).toBe(400);
    expect((await inbox('POST', '/v1/inbox/seen', userId, JSON.stringify({ ids: [randomUUID()], pad: 'x'.repeat(9000) }))).status).toBe(413);
    const noToken = await fetch(`${runtime.url}/v1/inbox/seen`, { method: 'POST', body: JSON.stringify({ ids: [randomUUID()] }) });
    expect(noToken.status).toBe(401);
  }, 30_000);
});
