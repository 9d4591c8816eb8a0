/**
 * Outbound lifecycle events on the real runtime (HTTP, PostgreSQL, pg-boss, the sandbox provider) and a local
 * receiver that verifies every POST with the `standardwebhooks` verifier: endpoints registered, listed, rotated
 * and disabled; each committed state change's event delivered signed, in order per user; none for a rolled-back
 * change; an endpoint answering 500 for a while gets every event in order once it recovers, each attempt visible;
 * replay from a cursor; the Segment destination as `track` calls through Segment's Node client.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as coreSql from '../../runtime/db/sql.ts';
import { exec, rows } from '../../runtime/db/sql-client.ts';
import { endpointPanels } from '../../runtime/outbox/deliveries.ts';
import { MAX_ENABLED_ENDPOINTS, replay } from '../../runtime/outbox/endpoints.ts';
import { pruneOutbox } from '../../runtime/outbox/retention.ts';
import * as outboxSql from '../../runtime/outbox/sql.ts';
import type { Runtime } from '../../runtime/server.ts';
import { get, login, overHttp } from '../dashboard/helpers.ts';
import { client, eventually, messagesOf, startTestRuntime, type Api } from '../runtime/harness.ts';
import { type Received, type Receiver, startReceiver } from './receiver.ts';

let runtime: Runtime;
let api: Api;
let receiver: Receiver;
const segmentBatches: { type: string; event: string; userId: string; properties: Record<string, unknown>; messageId: string }[] = [];
let segmentServer: ReturnType<typeof createServer>;

beforeAll(async () => {
  receiver = await startReceiver();
  segmentServer = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/v1/batch') segmentBatches.push(...JSON.parse(Buffer.concat(chunks).toString('utf8')).batch);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => segmentServer.listen(0, '127.0.0.1', resolve));
  runtime = await startTestRuntime('outbox', {
    env: {
      HERALD_OUTBOUND_BACKOFF_MS: '100',
      SEGMENT_DESTINATION_WRITE_KEY: 'test-write-key',
      SEGMENT_DESTINATION_HOST: `http://127.0.0.1:${(segmentServer.address() as AddressInfo).port}`,
    },
  });
  api = client(runtime);
});
afterAll(async () => {
  await runtime?.stop();
  await receiver?.close();
  segmentServer?.close();
});

interface Created {
  endpoint: { id: string; url: string; eventTypes: string[] | null; enabled: boolean };
  secret: string;
}

async function register(path: string, eventTypes?: string[]): Promise<Created> {
  const r = await api<Created>('POST', '/v1/webhook-endpoints', { url: `${receiver.url}${path}`, ...(eventTypes ? { eventTypes } : {}) });
  expect(r.status).toBe(201);
  receiver.secrets.set(path, r.body.secret);
  return r.body;
}

const trial = async (userId: string) => {
  await api('PUT', `/v1/users/${userId}`, { email: `${userId}@example.com` });
  const r = await api<{ runs: string[] }>('POST', '/v1/events', { event: 'trial_started', userId, properties: { first_name: 'Ada', plan_type: 'pro' } });
  expect(r.status).toBe(202);
  return r.body.runs[0]!;
};

const ofUser = (list: Received[], userId: string) => list.filter((e) => e.data.user_id === userId);

describe('webhook endpoints API', () => {
  it('creates an endpoint with a whsec_ secret shown once, lists it without it, rotates it and disables it', async () => {
    const created = await register('/crud', ['message.sent']);
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(created.endpoint).toMatchObject({ url: `${receiver.url}/crud`, eventTypes: ['message.sent'], enabled: true });
    const listed = await api<{ endpoints: Record<string, unknown>[] }>('GET', '/v1/webhook-endpoints');
    const mine = listed.body.endpoints.find((e) => e.id === created.endpoint.id);
    // Outside the create answer only the origin: a Slack or Zapier hook's path is its credential.
    expect(mine?.url).toBe(receiver.url);
    expect(JSON.stringify(listed.body)).not.toContain(created.secret);
    expect(JSON.stringify(listed.body)).not.toContain('/crud');
    expect(JSON.stringify((await api('GET', `/v1/webhook-endpoints/${created.endpoint.id}`)).body)).not.toContain('/crud');
    expect(JSON.stringify((await api('GET', '/v1/audit?action=webhook_endpoint_created')).body)).not.toContain('/crud');
    const rotated = await api<Created>('POST', `/v1/webhook-endpoints/${created.endpoint.id}/rotate-secret`);
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(created.secret);
    const disabled = await api<{ endpoint: { enabled: boolean } }>('POST', `/v1/webhook-endpoints/${created.endpoint.id}/disable`);
    expect(disabled.body.endpoint.enabled).toBe(false);
  });

  it('refuses an event type it does not know, a link-local URL (SSRF) and an unknown id', async () => {
    const type = await api<{ error: { message: string } }>('POST', '/v1/webhook-endpoints', { url: `${receiver.url}/x`, eventTypes: ['message.exploded'] });
    expect(type.status).toBe(400);
    const ssrf = await api<{ error: { message: string } }>('POST', '/v1/webhook-endpoints', { url: 'https://169.254.169.254/latest/meta-data' });
    expect(ssrf.status).toBe(422);
    expect(ssrf.body.error.message).toMatch(/HERALD_OUTBOUND_ALLOW/);
    expect((await api('POST', '/v1/webhook-endpoints/00000000-0000-4000-8000-000000000000/disable')).status).toBe(404);
    expect((await api('POST', '/v1/webhook-endpoints/not-an-id/replay?since=2020-01-01')).status).toBe(404);
  });
});

describe('lifecycle events', () => {
  let all: Created;
  beforeAll(async () => {
    all = await register('/all');
  });

  it('delivers every committed change signed, webhook-id the event id, in order per user', async () => {
    const runId = await trial('u-life');
    const sent = await eventually('the welcome email sent event', async () =>
      ofUser(receiver.accepted('/all'), 'u-life').find((e) => e.type === 'message.sent'),
    );
    const [message] = await messagesOf(api, 'u-life');
    expect((await api('POST', `/v1/messages/${message!.id}/events`, { event: 'delivered' })).status).toBeLessThan(300);
    await eventually('delivered', async () => ofUser(receiver.accepted('/all'), 'u-life').find((e) => e.type === 'message.delivered'));
    const events = ofUser(receiver.accepted('/all'), 'u-life');
    expect(events.every((e) => e.verified)).toBe(true);
    const types = events.map((e) => e.type);
    expect(types.slice(0, 3)).toEqual(['run.started', 'message.queued', 'message.sent']);
    expect(types.indexOf('message.delivered')).toBeGreaterThan(types.indexOf('message.sent'));
    expect(events[0]!.data).toMatchObject({ run_id: runId, workflow: 'onboarding', user_id: 'u-life' });
    expect(sent.data).toMatchObject({ message_id: message!.id, channel: 'email', status: 'sent' });
    // webhook-id is the event's own id, as the outbox holds it.
    const { rows } = await runtime.db.query<{ id: string }>("SELECT id FROM herald.outbound_events WHERE type = 'message.sent' AND user_id = 'u-life'");
    expect(rows.map((r) => r.id)).toContain(sent.id);
  });

  it('writes an event with its change in one transaction: none for a rolled-back change', async () => {
    await expect(
      runtime.db.transaction(async (tx) => {
        await exec(tx, coreSql.setPreference('u-rollback', 'product-updates', 'email', false));
        throw new Error('rolled back on purpose');
      }),
    ).rejects.toThrow('rolled back on purpose');
    const none = await runtime.db.query("SELECT 1 FROM herald.outbound_events WHERE user_id = 'u-rollback'");
    expect(none.rows).toHaveLength(0);
    await runtime.db.transaction((tx) => exec(tx, coreSql.setPreference('u-rollback', 'product-updates', 'email', false)));
    const changed = await eventually('preference.changed', async () =>
      ofUser(receiver.accepted('/all'), 'u-rollback').find((e) => e.type === 'preference.changed'),
    );
    expect(changed.data).toEqual({ user_id: 'u-rollback', category: 'product-updates', channel: 'email', allowed: false });
  });

  it("holds a user's later events behind a failing one, and delivers them in order once the endpoint recovers; every attempt is visible", async () => {
    const flaky = await register('/flaky', ['run.started', 'message.queued', 'message.sent', 'preference.changed']);
    receiver.answer.set('/flaky', 500);
    await trial('u-flaky');
    await eventually('three failed attempts', async () => (receiver.requests.get('/flaky')?.length ?? 0) >= 3);
    // Only the head of the user's events was tried: the later ones wait behind it.
    expect(new Set(receiver.requests.get('/flaky')!.map((r) => r.type))).toEqual(new Set(['run.started']));
    receiver.answer.set('/flaky', 200);
    const delivered = await eventually('every event after recovery', async () => {
      const got = ofUser(receiver.accepted('/flaky'), 'u-flaky');
      return got.some((e) => e.type === 'message.sent') && got;
    });
    expect(delivered.map((e) => e.type).slice(0, 3)).toEqual(['run.started', 'message.queued', 'message.sent']);
    const detail = await api<{ deliveries: { id: string; type: string; state: string; attempts: { statusCode: number | null }[] }[] }>(
      'GET',
      `/v1/webhook-endpoints/${flaky.endpoint.id}`,
    );
    const started = detail.body.deliveries.find((d) => d.type === 'run.started')!;
    expect(started.state).toBe('delivered');
    expect(started.attempts.map((a) => a.statusCode).slice(0, 3)).toEqual([500, 500, 500]);
    expect(started.attempts.at(-1)!.statusCode).toBe(200);
    // The dashboard shows the same: the endpoint, its deliveries and each attempt's answer.
    const fetcher = overHttp(runtime.url);
    const page = await get(fetcher, '/dashboard/webhooks', await login(fetcher, runtime.url));
    expect(page.status).toBe(200);
    expect(page.text).toContain(receiver.url);
    expect(page.text).not.toContain(`${receiver.url}/flaky`);
    expect(page.text).toContain('Segment destination');
    expect(page.text).toMatch(/<code>500<\/code>/);
    expect(page.text).toMatch(/· \d+ pending<\/p>/);
    // Each endpoint's own latest deliveries, newest first, as the API lists them.
    const panels = await endpointPanels(runtime.db, 2);
    const mine = panels.find((p) => p.endpoint.id === flaky.endpoint.id)!;
    expect(mine.deliveries.map((d) => d.id)).toEqual(detail.body.deliveries.slice(0, 2).map((d) => d.id));
    expect(mine).toMatchObject({ pending: 0, pendingMore: false });
    expect(panels.find((p) => p.endpoint.kind === 'segment')).toBeDefined();
  });

  it('replays from a cursor with the same webhook-ids', async () => {
    const first = ofUser(receiver.accepted('/all'), 'u-life');
    const before = receiver.accepted('/all').length;
    const replay = await api<{ queued: number; more: boolean; next: string }>('POST', `/v1/webhook-endpoints/${all.endpoint.id}/replay?since=${first[0]!.id}`);
    expect(replay.status).toBe(202);
    expect(replay.body.queued).toBeGreaterThan(0);
    expect(replay.body).toMatchObject({ more: false, next: expect.any(String) });
    await eventually('the replayed events', async () => receiver.accepted('/all').length >= before + replay.body.queued);
    const again = receiver.accepted('/all').slice(before);
    expect(again.map((e) => e.id)).toContain(first[1]!.id);
    expect(again.map((e) => e.id)).not.toContain(first[0]!.id);
    expect((await api('POST', `/v1/webhook-endpoints/${all.endpoint.id}/replay?since=yesterday`)).status).toBe(400);
  });
});

describe('the Segment destination', () => {
  it("sends engagement as Segment's spec names it, through @segment/analytics-node", async () => {
    await trial('u-segment');
    const message = await eventually('the welcome email', async () =>
      (await messagesOf(api, 'u-segment')).find((m) => m.channel === 'email' && m.status === 'sent'),
    );
    await api('POST', `/v1/messages/${message.id}/events`, { event: 'delivered' });
    await api('POST', `/v1/messages/${message.id}/events`, { event: 'opened' });
    await api('POST', `/v1/messages/${message.id}/events`, { event: 'clicked', url: 'https://example.com/start' });
    const tracks = await eventually('three track calls', async () => {
      const mine = segmentBatches.filter((t) => t.userId === 'u-segment');
      return mine.length >= 3 && mine;
    });
    expect(tracks.map((t) => [t.type, t.event])).toEqual([
      ['track', 'Email Delivered'],
      ['track', 'Email Opened'],
      ['track', 'Email Link Clicked'],
    ]);
    expect(tracks[2]!.properties).toMatchObject({ email_id: message.id, campaign_id: 'onboarding', link_url: 'https://example.com/start' });
  });
});

describe('bounded work', () => {
  /** Events written straight into the outbox (a type no other test sends), for one user each. */
  const writeEvents = async (users: string[]) =>
    rows<{ id: string }>(runtime.db, {
      text: `INSERT INTO herald.outbound_events (type, user_id, data)
             SELECT 'user.unsubscribed', u, jsonb_build_object('user_id', u) FROM unnest($1::text[]) WITH ORDINALITY AS x (u, n) ORDER BY n
             RETURNING id`,
      values: [users],
    });

  it('replays at most the cap, says where to go on, and never queues an event already pending for the endpoint', async () => {
    const held = await register('/replay-cap', ['user.unsubscribed']);
    // Disabled: its deliveries stay pending, as behind a failing endpoint.
    await api('POST', `/v1/webhook-endpoints/${held.endpoint.id}/disable`);
    const [marker, ...events] = await writeEvents(['u-r0', 'u-r1', 'u-r2', 'u-r3', 'u-r4', 'u-r5']);
    const first = await replay(runtime.db, held.endpoint.id, marker!.id, 3);
    expect(first).toEqual({ queued: 3, more: true, next: events[2]!.id });
    const again = await replay(runtime.db, held.endpoint.id, marker!.id, 3);
    expect(again).toEqual({ queued: 2, more: false, next: events[4]!.id });
    const http = await api('POST', `/v1/webhook-endpoints/${held.endpoint.id}/replay?since=${marker!.id}`);
    expect(http.body).toEqual({ queued: 0, more: false, next: null });
    const pending = await rows<{ n: number }>(runtime.db, {
      text: 'SELECT count(*)::int AS n FROM herald.outbound_deliveries WHERE endpoint_id = $1',
      values: [held.endpoint.id],
    });
    expect(pending[0]!.n).toBe(5);
  });

  it('has each trigger probe for its own event types: a statement whose types no enabled endpoint takes builds nothing', async () => {
    await runtime.db
      .transaction(async (tx) => {
        // Uncommitted: the runtime's own endpoints and workers are untouched.
        await exec(tx, { text: 'UPDATE herald.outbound_endpoints SET enabled = false', values: [] });
        const wanted = async (types: string[]) =>
          (await rows<{ w: string[] | null }>(tx, { text: 'SELECT herald.outbox_wanted($1::text[]) AS w', values: [types] }))[0]!.w;
        expect(await wanted(['run.started'])).toBeNull();
        await exec(tx, {
          text: "INSERT INTO herald.outbound_endpoints (kind, event_types) VALUES ('segment', '{message.delivered,user.unsubscribed}')",
          values: [],
        });
        expect(await wanted(['run.started'])).toBeNull();
        expect(await wanted(['message.sent', 'message.delivered', 'user.unsubscribed'])).toEqual(['message.delivered', 'user.unsubscribed']);
        await exec(tx, { text: "INSERT INTO herald.outbound_endpoints (kind, url, secret) VALUES ('webhook', 'https://all.example', 's')", values: [] });
        expect(await wanted(['run.started', 'run.failed'])).toEqual(['run.failed', 'run.started']);
        throw new Error('rollback');
      })
      .catch((error: unknown) => {
        if (!(error instanceof Error && error.message === 'rollback')) throw error;
      });
  });

  it('leases at most 4 deliveries of one endpoint at once, counting those in flight, so others are not starved', async () => {
    await runtime.db
      .transaction(async (tx) => {
        // Uncommitted: the runtime's own workers never see these rows.
        const [slow, other] = await rows<{ id: string }>(tx, {
          text: "INSERT INTO herald.outbound_endpoints (kind, url, secret, event_types) VALUES ('webhook', 'https://slow.example', 's', '{x}'), ('webhook', 'https://other.example', 's', '{x}') RETURNING id",
          values: [],
        });
        await exec(tx, {
          text: `WITH ev AS (
                   INSERT INTO herald.outbound_events (type, user_id, data) SELECT 'x', 'u-cap-' || n, jsonb_build_object('n', n) FROM generate_series(1, 12) n RETURNING id, seq, user_id, data
                 )
                 INSERT INTO herald.outbound_deliveries (endpoint_id, event_id, event_seq, user_key)
                 SELECT CASE WHEN (ev.data->>'n')::int % 6 = 0 THEN $2::uuid ELSE $1::uuid END, ev.id, ev.seq, ev.user_id FROM ev`,
          values: [slow!.id, other!.id],
        });
        const ofMine = (claimed: outboxSql.ClaimedRow[], id: string) => claimed.filter((r) => r.endpoint_id === id).length;
        const claimed = await rows<outboxSql.ClaimedRow>(tx, outboxSql.claimHeads(16, 60_000, 4));
        expect([ofMine(claimed, slow!.id), ofMine(claimed, other!.id)]).toEqual([4, 2]);
        // Its four still leased: the next claim gives it nothing more.
        const next = await rows<outboxSql.ClaimedRow>(tx, outboxSql.claimHeads(16, 60_000, 4));
        expect(ofMine(next, slow!.id)).toBe(0);
        throw new Error('rollback');
      })
      .catch((error: unknown) => {
        if (!(error instanceof Error && error.message === 'rollback')) throw error;
      });
  });

  it('deletes delivered and dead events past the retention (7 days at most) in batches, and keeps pending ones', async () => {
    const [endpoint] = await rows<{ id: string }>(runtime.db, {
      text: "INSERT INTO herald.outbound_endpoints (kind, url, secret, event_types, enabled) VALUES ('webhook', 'https://old.example', 's', '{x}', false) RETURNING id",
      values: [],
    });
    await exec(runtime.db, {
      text: `WITH ev AS (
               INSERT INTO herald.outbound_events (type, user_id, data, created_at)
               SELECT 'x', 'u-old', jsonb_build_object('n', n), now() - CASE WHEN n <= 4 THEN interval '8 days' ELSE interval '1 day' END
               FROM generate_series(1, 6) n RETURNING id, seq, (data->>'n')::int AS n
             ), d AS (
               INSERT INTO herald.outbound_deliveries (endpoint_id, event_id, event_seq, user_key, state)
               SELECT $1, id, seq, 'u-old', CASE n WHEN 4 THEN 'pending' WHEN 3 THEN 'dead' ELSE 'delivered' END FROM ev RETURNING id
             )
             INSERT INTO herald.outbound_attempts (delivery_id, duration_ms) SELECT id, 1 FROM d`,
      values: [endpoint!.id],
    });
    const ninetyDays = 90 * 24 * 60 * 60 * 1000;
    expect(await pruneOutbox(runtime.db, ninetyDays, Date.now(), 2)).toBe(3);
    const left = await rows<{ n: number; state: string; attempts: number }>(runtime.db, {
      text: `SELECT (ev.data->>'n')::int AS n, d.state, (SELECT count(*)::int FROM herald.outbound_attempts a WHERE a.delivery_id = d.id) AS attempts
             FROM herald.outbound_events ev JOIN herald.outbound_deliveries d ON d.event_id = ev.id WHERE ev.user_id = 'u-old' ORDER BY n`,
      values: [],
    });
    expect(left).toEqual([
      { n: 4, state: 'pending', attempts: 1 },
      { n: 5, state: 'delivered', attempts: 1 },
      { n: 6, state: 'delivered', attempts: 1 },
    ]);
    const orphans = await rows(runtime.db, {
      text: 'SELECT 1 FROM herald.outbound_attempts a LEFT JOIN herald.outbound_deliveries d ON d.id = a.delivery_id WHERE d.id IS NULL',
      values: [],
    });
    expect(orphans).toEqual([]);
  });

  it(`refuses one enabled endpoint more than ${MAX_ENABLED_ENDPOINTS} (create or enable) with a clear error`, async () => {
    const enabled = async () =>
      (
        await rows<{ n: number }>(runtime.db, {
          text: "SELECT count(*)::int AS n FROM herald.outbound_endpoints WHERE kind = 'webhook' AND enabled",
          values: [],
        })
      )[0]!.n;
    const made: string[] = [];
    while ((await enabled()) < MAX_ENABLED_ENDPOINTS) made.push((await register(`/cap-${made.length}`, ['user.unsubscribed'])).endpoint.id);
    const refused = await api<{ error: { message: string } }>('POST', '/v1/webhook-endpoints', { url: `${receiver.url}/cap-over` });
    expect(refused.status).toBe(422);
    expect(refused.body.error.message).toMatch(/at most 20 webhook endpoints may be enabled.*disable one/);
    const disabled = (await api<{ endpoints: { id: string; enabled: boolean }[] }>('GET', '/v1/webhook-endpoints')).body.endpoints.find((e) => !e.enabled)!;
    expect((await api('POST', `/v1/webhook-endpoints/${disabled.id}/enable`)).status).toBe(422);
    for (const id of made) await api('POST', `/v1/webhook-endpoints/${id}/disable`);
    expect((await api('POST', `/v1/webhook-endpoints/${disabled.id}/enable`)).status).toBe(200);
  });
});
