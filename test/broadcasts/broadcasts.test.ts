/**
 * Broadcasts through HTTP: a send to a list whose members have mixed fates (sent, opted out of the category,
 * capped, unsubscribed from SMS, no phone number) counted exactly in its progress; Idempotency-Key (a retry
 * answers the same run and starts nothing); cancel mid-way (pages stop, started runs waiting for their window
 * are cancelled through the engine and never send).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { broadcastsBundle, withClosedWindow } from './bundle.ts';
import { cancelFanout, cancelRunsChunk } from '../../runtime/recipients/index.ts';
import type { Runtime } from '../../runtime/server.ts';
import { client, eventually, startTestRuntime, type Api } from '../runtime/harness.ts';

interface Progress {
  runId: string;
  broadcast: string;
  status: string;
  planned: number;
  started: number;
  sent: number;
  skipped: number;
  skippedBy: Record<string, number>;
  failed: number;
  cancelled: number;
  pending: number;
}

let runtime: Runtime;
let api: Api;

beforeAll(async () => {
  runtime = await startTestRuntime('broadcasts', { bundle: withClosedWindow(await broadcastsBundle()) });
  api = client(runtime);
});
afterAll(async () => {
  await runtime?.stop();
});

const phone = (n: number) => `+1555000${String(n).padStart(4, '0')}`;

async function member(list: string, id: string, profile: Record<string, unknown>) {
  expect((await api('PUT', `/v1/users/${id}`, profile)).status).toBeLessThan(300);
  expect((await api('PUT', `/v1/lists/${list}/members/${id}`)).status).toBeLessThan(300);
}

describe('broadcasts', () => {
  it('sends to every member once, each an ordinary run: preferences, caps, opt-outs and missing addresses counted by reason', async () => {
    for (let i = 1; i <= 6; i++) await member('newsletter', `ok-${i}`, { phone_number: phone(i), traits: { first_name: `Ok${i}` } });
    await member('newsletter', 'opted-out', { phone_number: phone(20) });
    expect((await api('PUT', '/v1/users/opted-out/preferences', { categories: { promotions: { sms: false } } })).status).toBe(200);
    await member('newsletter', 'capped', { phone_number: phone(21) });
    // One SMS today already: the cap (sms 1/1d) is reached.
    await api('POST', '/v1/workflows/ping/trigger', { userId: 'capped' });
    await eventually('the ping', async () => {
      const r = await api<{ messages: { status: string }[] }>('GET', '/v1/users/capped/messages');
      return r.body.messages.some((m) => m.status === 'sent');
    });
    await member('newsletter', 'stopped', { phone_number: phone(22) });
    // They replied STOP to an earlier SMS: the provider's opt-out, recorded on the profile.
    await runtime.db.query(`UPDATE herald.users SET sms_opt_out = true WHERE id = 'stopped'`);
    await member('newsletter', 'no-phone', { email: 'no-phone@example.com' });

    const key = { 'idempotency-key': 'spring-2025' };
    const sent = await api<{ runId: string; planned: number }>('POST', '/v1/broadcasts/spring/send', {}, key);
    expect(sent.status).toBe(202);
    expect(sent.body.planned).toBe(10);
    // The same key and body: the same broadcast run, nothing started twice.
    const again = await api<{ runId: string }>('POST', '/v1/broadcasts/spring/send', {}, key);
    expect(again.status).toBe(202);
    expect(again.body.runId).toBe(sent.body.runId);
    // The same key with another body is refused.
    expect((await api('POST', '/v1/broadcasts/spring/send', { data: { x: 1 } }, key)).status).toBe(422);

    const progress = await eventually('the broadcast to finish', async () => {
      const r = await api<Progress>('GET', `/v1/broadcasts/${sent.body.runId}`);
      return r.body.status === 'done' && r.body.pending === 0 ? r.body : null;
    });
    expect(progress).toMatchObject({
      broadcast: 'spring',
      planned: 10,
      started: 10,
      sent: 6,
      skipped: 4,
      skippedBy: { preference: 1, frequency_cap: 1, sms_opt_out: 1, no_address: 1 },
      failed: 0,
      cancelled: 0,
    });
    // Exactly once each: one broadcast message per member.
    const { rows } = await runtime.db.query<{ user_id: string; n: number }>(
      `SELECT user_id, count(*)::int AS n FROM herald.messages WHERE workflow = 'broadcast:spring' GROUP BY user_id ORDER BY user_id`,
    );
    expect(rows.map((r) => r.user_id)).toEqual(['capped', 'no-phone', 'ok-1', 'ok-2', 'ok-3', 'ok-4', 'ok-5', 'ok-6', 'opted-out', 'stopped']);
    expect(rows.every((r) => r.n === 1)).toBe(true);
    // Ordinary runs: the dead keyed request was only replayed, never started again.
    const runs = await runtime.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM herald.runs WHERE workflow = 'broadcast:spring'`);
    expect(runs.rows[0]!.n).toBe(10);
  });

  it('cancel stops the pages and cancels the started runs before they send', async () => {
    for (let i = 0; i < 20; i++) await member('slowlist', `s-${String(i).padStart(2, '0')}`, { phone_number: phone(100 + i) });
    // `slow` sends to `slowlist` at 60/min (pages of 6, one every 6 s), its window closed for now.
    const sent = await api<{ runId: string; planned: number }>('POST', '/v1/broadcasts/slow/send', {});
    expect(sent.status).toBe(202);
    const first = await eventually('the first page', async () => {
      const r = await api<Progress>('GET', `/v1/broadcasts/${sent.body.runId}`);
      return r.body.started > 0 && r.body.pending === r.body.started ? r.body : null;
    });
    expect(first.started).toBe(6);
    const cancelled = await api<Progress & { runsCancelled: number }>('POST', `/v1/broadcasts/${sent.body.runId}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ status: 'cancelled', started: 6, runsCancelled: 6, cancelling: false, cancelled: 6, sent: 0, pending: 0 });
    // Past the next page's time: nothing more starts.
    await new Promise((r) => setTimeout(r, 7_000));
    const later = await api<Progress>('GET', `/v1/broadcasts/${sent.body.runId}`);
    expect(later.body).toMatchObject({ status: 'cancelled', started: 6, cancelled: 6, sent: 0 });
    const messages = await runtime.db.query(`SELECT 1 FROM herald.messages WHERE workflow = 'broadcast:slow' AND status = 'sent'`);
    expect(messages.rows).toEqual([]);
  }, 30_000);

  it('cancels the runs past the first chunk by jobs, one chunk per transaction, none of them sending', async () => {
    for (let i = 0; i < 6; i++) await member('slowlist', `c-${i}`, { phone_number: phone(200 + i) });
    // The first page of `slow` (6 runs) waits for its window; its fan-out stopped as a cancel stops it.
    const sent = await api<{ runId: string }>('POST', '/v1/broadcasts/slow/send', {});
    await eventually('the first page', async () => {
      const r = await api<Progress>('GET', `/v1/broadcasts/${sent.body.runId}`);
      return r.body.started === 6 && r.body.pending === 6 ? r.body : null;
    });
    await runtime.db.transaction((tx) => cancelFanout(tx, sent.body.runId));
    // A chunk of 2 here; a job carries on with the 4 after it.
    const job = { fanoutId: sent.body.runId, after: null, reason: 'broadcast cancelled' };
    const first = await runtime.db.transaction((tx) => cancelRunsChunk(runtime.deps, tx, job, 2));
    expect(first).toEqual({ cancelled: 2, more: true });
    const done = await eventually('every run cancelled', async () => {
      const r = await api<Progress>('GET', `/v1/broadcasts/${sent.body.runId}`);
      return r.body.cancelled === 6 ? r.body : null;
    });
    expect(done).toMatchObject({ status: 'cancelled', started: 6, cancelled: 6, sent: 0, pending: 0 });
  }, 30_000);

  it("passes a send's tenant to every run it starts, which render the tenant's brand; a list trigger's too", async () => {
    expect((await api('PUT', '/v1/tenants/acme', { name: 'Acme', brand: { name: 'Acme Corp', postalAddress: '42 Acme Way' } })).status).toBe(201);
    for (const id of ['b-1', 'b-2', 'b-3']) await member('branded', id, { email: `${id}@example.com` });
    const sent = await api<{ runId: string }>('POST', '/v1/broadcasts/branded/send', { tenant: 'acme' });
    expect(sent.status).toBe(202);
    const triggered = await api<{ fanout: { id: string } }>('POST', '/v1/workflows/branded-news/trigger', { recipients: { list: 'branded' }, tenant: 'acme' });
    expect(triggered.status).toBe(202);
    const emails = await eventually('six branded emails', async () => {
      const r = await runtime.db.query<{ workflow: string; user_id: string; tenant_id: string | null; content: { subject: string; text: string } }>(
        `SELECT workflow, user_id, tenant_id, content FROM herald.messages WHERE workflow IN ('broadcast:branded', 'branded-news') AND status = 'sent' ORDER BY workflow, user_id`,
      );
      return r.rows.length === 6 ? r.rows : null;
    });
    for (const email of emails) {
      expect(email.tenant_id).toBe('acme');
      expect(email.content.subject).toBe('News from Acme Corp');
      expect(email.content.text).toContain('Hello from Acme Corp, 42 Acme Way.');
    }
    const runs = await runtime.db.query<{ fanout_id: string; tenant_id: string | null }>(
      `SELECT fanout_id, tenant_id FROM herald.runs WHERE fanout_id IN ($1, $2)`,
      [sent.body.runId, triggered.body.fanout.id],
    );
    expect(runs.rows).toHaveLength(6);
    expect(runs.rows.every((r) => r.tenant_id === 'acme')).toBe(true);
  });

  it('sends to an audience: the members its SQL selects, each once, counted in its progress', async () => {
    const profile = (locale: string) => ({ email: `${locale}@example.com`, locale });
    for (const [id, locale] of [
      ['aud-fr', 'fr-FR'],
      ['aud-ca', 'fr-CA'],
      ['aud-out', 'fr-FR'],
      ['aud-en', 'en-US'],
    ] as const) {
      expect((await api('PUT', `/v1/users/${id}`, profile(locale))).status).toBeLessThan(300);
    }
    // Opted out of promotional email: outside the audience, so never even started.
    expect((await api('PUT', '/v1/users/aud-out/preferences', { categories: { promotions: { email: false } } })).status).toBe(200);
    const sent = await api<{ runId: string; planned: number }>('POST', '/v1/broadcasts/french-news/send', {});
    expect(sent.status).toBe(202);
    expect(sent.body.planned).toBe(2);
    const progress = await eventually('the audience broadcast to finish', async () => {
      const r = await api<Progress>('GET', `/v1/broadcasts/${sent.body.runId}`);
      return r.body.status === 'done' && r.body.pending === 0 ? r.body : null;
    });
    expect(progress).toMatchObject({ broadcast: 'french-news', planned: 2, started: 2, sent: 2, skipped: 0, failed: 0 });
    const { rows } = await runtime.db.query<{ user_id: string }>(
      `SELECT user_id FROM herald.messages WHERE workflow = 'broadcast:french-news' AND status = 'sent' ORDER BY user_id`,
    );
    expect(rows.map((r) => r.user_id)).toEqual(['aud-ca', 'aud-fr']);
  });

  it('answers 404 for an unknown broadcast or run, and needs an API key', async () => {
    expect((await api('POST', '/v1/broadcasts/nope/send', {})).status).toBe(404);
    expect((await api('GET', '/v1/broadcasts/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await api('GET', '/v1/broadcasts/not-a-uuid')).status).toBe(404);
    expect((await fetch(`${runtime.url}/v1/broadcasts/spring/send`, { method: 'POST' })).status).toBe(401);
  });
});
