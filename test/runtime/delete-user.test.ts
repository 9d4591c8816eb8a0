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

  it('deletes the user’s outbound events with their deliveries and attempts (nothing left to replay), not others’', async () => {
    const outboxOf = async (userId: string) =>
      rows<{ events: number; deliveries: number; attempts: number }>(runtime.db, {
        text: `SELECT count(DISTINCT ev.id)::int AS events, count(DISTINCT d.id)::int AS deliveries, count(a.id)::int AS attempts
               FROM herald.outbound_events ev LEFT JOIN herald.outbound_deliveries d ON d.event_id = ev.id
               LEFT JOIN herald.outbound_attempts a ON a.delivery_id = d.id WHERE ev.user_id = $1`,
        values: [userId],
      });
    // Written straight into the outbox, for a disabled endpoint: nothing posts them meanwhile.
    await rows(runtime.db, {
      text: `WITH e AS (INSERT INTO herald.outbound_endpoints (url, secret, enabled) VALUES ('https://hooks.example', 's', false) RETURNING id),
             ev AS (INSERT INTO herald.outbound_events (type, user_id, data)
                    SELECT 'message.clicked', u, jsonb_build_object('user_id', u, 'detail', jsonb_build_object('url', 'https://example.com/private'))
                    FROM unnest(ARRAY['outbox-gone', 'outbox-kept']) u RETURNING id, seq, user_id),
             d AS (INSERT INTO herald.outbound_deliveries (endpoint_id, event_id, event_seq, user_key, state)
                   SELECT e.id, ev.id, ev.seq, ev.user_id, 'delivered' FROM ev, e RETURNING id)
             INSERT INTO herald.outbound_attempts (delivery_id, status_code, duration_ms) SELECT id, 200, 1 FROM d`,
      values: [],
    });
    expect(await outboxOf('outbox-gone')).toEqual([{ events: 1, deliveries: 1, attempts: 1 }]);
    expect((await api('DELETE', '/v1/users/outbox-gone')).status).toBe(200);
    expect(await outboxOf('outbox-gone')).toEqual([{ events: 0, deliveries: 0, attempts: 0 }]);
    expect(await outboxOf('outbox-kept')).toEqual([{ events: 1, deliveries: 1, attempts: 1 }]);
  });

  it("erases a finished run's fetched answers and its fetch why-log details (URLs with trigger values, answers)", async () => {
    const history = [
      { at: 1, stepId: 'cart', kind: 'fetch', outcome: 'requesting', detail: { url: 'https://shop.example.com/carts/private-cart', attempt: 1 } },
      { at: 2, stepId: 'cart', kind: 'fetch', outcome: 'fetched', detail: { status: 200, attempt: 1, response: '{"email":"x@example.com"}' } },
      { at: 3, stepId: '', kind: 'run', outcome: 'completed' },
    ];
    const state = { runId: 'r', data: { cart_id: 'private-cart' }, fetched: { cart: { email: 'x@example.com' } }, history };
    await rows(runtime.db, {
      text: `INSERT INTO herald.runs (id, workflow, bundle_version, user_id, status, state)
             SELECT gen_random_uuid(), 'chase', version, 'fetch-gone', 'completed', $1::jsonb FROM herald.bundles LIMIT 1`,
      values: [JSON.stringify(state)],
    });
    expect((await api('DELETE', '/v1/users/fetch-gone')).status).toBe(200);
    const [run] = await rows<{ state: { fetched?: unknown; data: unknown; history: { kind: string; outcome: string; detail?: unknown }[] } }>(runtime.db, {
      text: `SELECT state FROM herald.runs WHERE user_id = 'fetch-gone'`,
      values: [],
    });
    expect(run!.state.fetched).toBeUndefined();
    expect(run!.state.data).toEqual({});
    expect(run!.state.history).toEqual([
      { at: 1, stepId: 'cart', kind: 'fetch', outcome: 'requesting' },
      { at: 2, stepId: 'cart', kind: 'fetch', outcome: 'fetched' },
      { at: 3, stepId: '', kind: 'run', outcome: 'completed' },
    ]);
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
