/**
 * Deleting a user (`DELETE /v1/users/:id`, Courier's `DELETE /profiles/:id`): a waiting run is cancelled
 * through the engine and sends nothing more; the profile, preferences and inbox are gone; the message log
 * keeps its rows without content, provider answers or addresses; the run and event logs lose the trigger's
 * data; the audit log names who deleted whom; only an admin key may do it.
 */
import Courier from '@trycourier/courier';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../runtime/db/sql-client.ts';
import type { Runtime } from '../../runtime/server.ts';
import { startFakeSendgrid, startFakeTwilio, type FakeProvider } from '../fakes/providers.ts';
import { API_KEY, client, eventually, exampleBundle, messagesOf, shorten, startTestRuntime, type Api } from './harness.ts';

const TRIGGER_KEY = 'trigger-key-0123456789-0123456789-0123456789';
const EMAIL = 'gone@example.com';
const PHONE = '+15555550123';

let sendgrid: FakeProvider;
let twilio: FakeProvider;
let runtime: Runtime;
let api: Api;

beforeAll(async () => {
  [sendgrid, twilio] = await Promise.all([
    startFakeSendgrid({ apiKey: 'SG.delete' }),
    startFakeTwilio({ accountSid: 'AC00000000000000000000000000000003', authToken: 'delete-token' }),
  ]);
  runtime = await startTestRuntime('delete-user', {
    // Two and a half seconds an hour: onboarding's two-hour wait for the welcome to be opened lasts 5 s.
    bundle: shorten(await exampleBundle(), 2_500),
    env: {
      HERALD_API_KEYS: `app-server:trigger:${TRIGGER_KEY}`,
      SENDGRID_API_KEY: 'SG.delete',
      SENDGRID_API_URL: sendgrid.url,
      TWILIO_ACCOUNT_SID: 'AC00000000000000000000000000000003',
      TWILIO_AUTH_TOKEN: 'delete-token',
      TWILIO_API_URL: twilio.url,
    },
  });
  api = client(runtime);
}, 60_000);

afterAll(async () => {
  await runtime?.stop();
  await Promise.all([sendgrid?.close(), twilio?.close()]);
});

interface RunView {
  status: string;
  messages: { step: string }[];
}
const runOf = async (id: string) => (await api<{ run: RunView }>('GET', `/v1/runs/${id}`)).body.run;
const trigger = async (event: string, userId: string, properties: Record<string, unknown>) => {
  const r = await api<{ runs: string[] }>('POST', '/v1/events', { event, userId, properties });
  expect(r.status).toBe(202);
  return r.body.runs[0]!;
};
/** Jobs of a run pg-boss has yet to finish: a timer counts from when it is set. */
const outstandingJobs = async (runId: string) =>
  (
    await rows<{ n: number }>(runtime.db, {
      text: `SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'herald-run' AND data->>'runId' = $1 AND state::text IN ('created', 'retry', 'active')`,
      values: [runId],
    })
  )[0]!.n;
const auditEntries = async (action: string) =>
  (await api<{ entries: { actor: string; target: string; details: Record<string, unknown> }[] }>('GET', `/v1/audit?action=${action}`)).body.entries;

describe('DELETE /v1/users/:userId', () => {
  it('cancels a waiting run (nothing is sent after), erases the profile, preferences and inbox, and redacts the message log', async () => {
    expect((await api('PUT', '/v1/users/gone', { email: EMAIL, phone_number: PHONE, traits: { plan: 'pro' } })).status).toBe(200);
    expect((await api('PUT', '/v1/users/gone/preferences', { categories: { promotions: { sms: false } } })).status).toBe(200);
    // welcome-everywhere: an email and an in-app item, then done.
    const everywhere = await trigger('user_signed_up', 'gone', { first_name: 'Gonzalo', signup_source: 'web' });
    await eventually('the welcome run to complete', async () => (await runOf(everywhere)).status === 'completed');
    // onboarding: the welcome email, then a wait for it to be opened.
    const onboarding = await trigger('trial_started', 'gone', { first_name: 'Gonzalo', plan_type: 'pro' });
    await eventually('the onboarding run to wait', async () => (await runOf(onboarding)).status === 'waiting');
    expect(await outstandingJobs(onboarding)).toBeGreaterThan(0);
    expect((await api<{ unread: number }>('GET', '/v1/users/gone/inbox')).body.unread).toBe(1);
    const before = await messagesOf(api, 'gone');
    expect(before.some((m) => JSON.stringify(m).includes(EMAIL))).toBe(true);

    const deleted = await api<{ userId: string; deleted: Record<string, unknown> }>('DELETE', '/v1/users/gone');
    expect(deleted.status).toBe(200);
    expect(deleted.body).toEqual({
      userId: 'gone',
      deleted: { profile: true, preferences: 1, inboxItems: 1, runsCancelled: 1, messagesRedacted: before.length },
    });

    // The engine's cancel: the run is over, and its timer, when it comes, sends nothing.
    expect((await runOf(onboarding)).status).toBe('cancelled');
    await eventually('the onboarding timer to be processed', async () => (await outstandingJobs(onboarding)) === 0, 20_000);
    expect((await runOf(onboarding)).messages.map((m) => m.step)).toEqual(['welcome']);
    expect(twilio.requests.filter((r) => (r.body as Record<string, string>).To === PHONE)).toEqual([]);

    // Profile, preferences and inbox are gone.
    expect((await api('GET', '/v1/users/gone')).status).toBe(404);
    expect(await rows(runtime.db, { text: 'SELECT 1 FROM herald.preferences WHERE user_id = $1', values: ['gone'] })).toEqual([]);
    expect((await api<{ items: unknown[]; unread: number }>('GET', '/v1/users/gone/inbox')).body).toEqual({ items: [], unread: 0 });

    // The message log keeps every row and its statuses, for delivery accounting, and nothing personal.
    const after = await messagesOf(api, 'gone');
    expect(after.map((m) => [m.id, m.channel, m.status])).toEqual(before.map((m) => [m.id, m.channel, m.status]));
    for (const m of after) {
      expect(m.content).toBeNull();
      expect(m.providerResponse).toBeNull();
      expect(m.history.length).toBeGreaterThan(0);
      expect(m.history.every((h) => h.payload === undefined && h.error === undefined)).toBe(true);
    }
    // Runs and the event log keep their shape, not the trigger's data.
    const leftovers = await rows(runtime.db, {
      text: `SELECT (SELECT json_agg(m) FROM herald.messages m WHERE user_id = $1) AS messages,
                    (SELECT json_agg(r) FROM herald.runs r WHERE user_id = $1) AS runs,
                    (SELECT json_agg(e) FROM herald.events e WHERE user_id = $1) AS events`,
      values: ['gone'],
    });
    const text = JSON.stringify(leftovers);
    for (const personal of [EMAIL, PHONE, 'Gonzalo']) expect(text).not.toContain(personal);
  }, 60_000);

  it('records user_deleted in the audit log, as the key that asked', async () => {
    const [entry] = await auditEntries('user_deleted');
    expect(entry).toMatchObject({ actor: 'key:default', target: 'user:gone', details: { profile: true, preferences: 1, inboxItems: 1, runsCancelled: 1 } });
  });

  it('is idempotent: a user with nothing left (or never known) is 200 with nothing deleted', async () => {
    const nothing = { profile: false, preferences: 0, inboxItems: 0, runsCancelled: 0, messagesRedacted: 0 };
    expect((await api('DELETE', '/v1/users/never-seen')).body).toEqual({ userId: 'never-seen', deleted: nothing });
    const again = await api<{ deleted: Record<string, unknown> }>('DELETE', '/v1/users/gone');
    expect(again.status).toBe(200);
    expect(again.body.deleted).toMatchObject({ profile: false, preferences: 0, inboxItems: 0, runsCancelled: 0 });
  });

  it('refuses a trigger-scoped key with 403 and deletes nothing', async () => {
    await api('PUT', '/v1/users/kept', { email: 'kept@example.com' });
    const recorded = (await auditEntries('user_deleted')).length;
    for (const path of ['/v1/users/kept', '/profiles/kept']) {
      const refused = await api<Record<string, unknown>>('DELETE', path, undefined, { authorization: `Bearer ${TRIGGER_KEY}` });
      expect(refused.status, path).toBe(403);
      expect(JSON.stringify(refused.body)).toContain('needs admin');
    }
    expect((await api('GET', '/v1/users/kept')).status).toBe(200);
    expect(await auditEntries('user_deleted')).toHaveLength(recorded);
  });
});

describe('DELETE /profiles/:userId (Courier)', () => {
  it('answers 204 through Courier’s own client, profile or not, and the profile is gone', async () => {
    const courier = new Courier({ apiKey: API_KEY, baseURL: runtime.url, maxRetries: 0 });
    await courier.profiles.create('courier-gone', { profile: { email: 'cg@example.com', first_name: 'Cee' } });
    expect((await courier.profiles.retrieve('courier-gone')).profile).toMatchObject({ email: 'cg@example.com' });
    // 204 with no body: the client resolves with nothing.
    await expect(courier.profiles.delete('courier-gone')).resolves.toBeNull();
    await expect(courier.profiles.retrieve('courier-gone')).rejects.toMatchObject({ status: 404 });
    const raw = await fetch(`${runtime.url}/profiles/courier-gone`, { method: 'DELETE', headers: { authorization: `Bearer ${API_KEY}` } });
    expect(raw.status).toBe(204);
    expect(await raw.text()).toBe('');
    expect((await auditEntries('user_deleted'))[0]).toMatchObject({ target: 'user:courier-gone' });
  });
});
