/** The HTTP contract: auth, bad input, idempotency, profiles, preferences, direct triggers, runs, health. */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../runtime/server.ts';
import { API_KEY, client, eventually, messagesOf, startTestRuntime, type Api } from './harness.ts';

let runtime: Runtime;
let api: Api;

beforeAll(async () => {
  runtime = await startTestRuntime('api');
  api = client(runtime);
});
afterAll(async () => {
  await runtime?.stop();
});

const trial = { event: 'trial_started', userId: 'idem-user', properties: { first_name: 'Ada', plan_type: 'pro' } };

describe('auth', () => {
  it('refuses a missing or wrong key with 401', async () => {
    const none = await fetch(`${runtime.url}/v1/users/x/messages`);
    expect(none.status).toBe(401);
    expect((await none.json()).error.code).toBe('unauthorized');
    const wrong = await api('GET', '/v1/users/x/messages', undefined, { authorization: 'Bearer nope' });
    expect(wrong.status).toBe(401);
  });
  it('leaves health open; metrics need a key of read scope', async () => {
    expect((await fetch(`${runtime.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${runtime.url}/readyz`);
    expect(await ready.json()).toMatchObject({ ok: true, database: true });
    expect((await fetch(`${runtime.url}/metrics`)).status).toBe(401);
    const metrics = await (await fetch(`${runtime.url}/metrics`, { headers: { authorization: `Bearer ${API_KEY}` } })).text();
    expect(metrics).toContain('herald_triggers_total');
  });
});

describe('bad input', () => {
  it('answers malformed JSON with 400 invalid_json', async () => {
    const r = await api<{ error: { code: string } }>('POST', '/v1/events', '{"event": ');
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('invalid_json');
  });
  it('answers wrong types with 400 naming the field', async () => {
    const r = await api<{ error: { code: string; message: string; details: { path: string }[] } }>('POST', '/v1/events', {
      event: 'trial_started',
      userId: 42,
    });
    expect(r.status).toBe(400);
    expect(r.body.error.details.map((d) => d.path)).toContain('userId');
  });
  it('validates properties against the event schema from the bundle', async () => {
    const r = await api<{ error: { message: string; details: { path: string }[] } }>('POST', '/v1/events', {
      ...trial,
      properties: { first_name: 'Ada', plan_type: 'gold' },
    });
    expect(r.status).toBe(400);
    expect(r.body.error.message).toContain('plan_type');
  });
  it('refuses bodies over 256 KB with 413', async () => {
    // Its own connection: the server closes it rather than read the rest of an oversized body.
    const body = JSON.stringify({ ...trial, properties: { first_name: 'x'.repeat(300_000), plan_type: 'pro' } });
    const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(
        `${runtime.url}/v1/events`,
        { method: 'POST', agent: false, headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' } },
        (res) => {
          let text = '';
          res.on('data', (chunk) => (text += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
    expect(status).toBe(413);
    expect(JSON.parse(text).error.code).toBe('payload_too_large');
  });
  it('answers an unknown workflow with 404, and an event with no workflow with 202 and no runs', async () => {
    expect((await api('POST', '/v1/workflows/nope/trigger', { userId: 'u', data: {} })).status).toBe(404);
    const r = await api<{ runs: string[]; note: string }>('POST', '/v1/events', { event: 'page_viewed', userId: 'u', properties: {} });
    expect(r.status).toBe(202);
    expect(r.body.runs).toEqual([]);
    expect(r.body.note).toContain('no workflow is triggered by "page_viewed"');
  });
});

describe('idempotency', () => {
  it('replays the same answer for the same key and body, with one run', async () => {
    const headers = { 'idempotency-key': 'key-1' };
    const first = await api<{ runs: string[] }>('POST', '/v1/events', trial, headers);
    const second = await api<{ runs: string[] }>('POST', '/v1/events', trial, headers);
    expect(first.status).toBe(202);
    expect(second.body).toEqual(first.body);
    expect(first.body.runs).toHaveLength(1);
  });
  it('refuses the same key with another body with 422', async () => {
    await api('POST', '/v1/events', trial, { 'idempotency-key': 'key-2' });
    const other = await api<{ error: { code: string } }>(
      'POST',
      '/v1/events',
      { ...trial, properties: { first_name: 'Bob', plan_type: 'pro' } },
      { 'idempotency-key': 'key-2' },
    );
    expect(other.status).toBe(422);
    expect(other.body.error.code).toBe('idempotency_conflict');
  });
  it('dedupes a retried event by its messageId', async () => {
    const event = { ...trial, userId: 'msgid-user', messageId: 'seg-123' };
    const first = await api<{ runs: string[] }>('POST', '/v1/events', event);
    const retry = await api<{ runs: string[]; duplicate: boolean }>('POST', '/v1/events', event);
    expect(retry.body).toEqual({ runs: first.body.runs, duplicate: true });
  });
});

describe('profiles, preferences and direct triggers', () => {
  it('upserts a profile field by field', async () => {
    await api('PUT', '/v1/users/p1', { email: 'p1@example.com', traits: { plan: 'pro' } });
    const r = await api<{ user: Record<string, unknown> }>('PUT', '/v1/users/p1', { timezone: 'Europe/Paris', traits: { seats: 3 } });
    expect(r.body.user).toMatchObject({ email: 'p1@example.com', timezone: 'Europe/Paris', traits: { plan: 'pro', seats: 3 } });
    const bad = await api<{ error: { details: { path: string }[] } }>('PUT', '/v1/users/p1', { timezone: 'Mars/Base' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0]?.path).toBe('timezone');
  });
  it('resolves preferences per category and channel, and refuses opting out of a required category', async () => {
    await api('PUT', '/v1/users/p2/preferences', { categories: { promotions: { email: false } } });
    const r = await api<{ categories: Record<string, { required: boolean; channels: Record<string, { allowed: boolean }> }> }>(
      'GET',
      '/v1/users/p2/preferences',
    );
    expect(r.body.categories.promotions?.channels.email?.allowed).toBe(false);
    expect(r.body.categories.promotions?.channels.push?.allowed).toBe(true);
    const refused = await api<{ error: { message: string } }>('PUT', '/v1/users/p2/preferences', { categories: { security: { sms: false } } });
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toContain('required');
  });
  it('triggers one workflow for a direct recipient, and shows the run', async () => {
    const r = await api<{ runs: string[] }>('POST', '/v1/workflows/security-code/trigger', {
      to: { phone_number: '+15555550123' },
      data: { code: '424242', expires_in_minutes: 10 },
    });
    expect(r.status).toBe(202);
    const run = await eventually('the run to complete', async () => {
      const got = await api<{ run: { status: string; messages: { channel: string; status: string; content: { body: string } }[] } }>(
        'GET',
        `/v1/runs/${r.body.runs[0]}`,
      );
      return got.body.run.status === 'completed' ? got.body.run : null;
    });
    const sms = run.messages.find((m) => m.channel === 'sms');
    expect(sms).toMatchObject({ channel: 'sms', status: 'sent' });
    expect(sms?.content.body).toContain('424242');
    // Routing single: email was the fallback, and this recipient has no email address.
    expect(run.messages.find((m) => m.channel === 'email')).toMatchObject({ status: 'skipped' });
  });
  it('cancels a waiting run with no further sends', async () => {
    await api('PUT', '/v1/users/c1', { email: 'c1@example.com', phone_number: '+15555550100' });
    const r = await api<{ runs: string[] }>('POST', '/v1/events', { ...trial, userId: 'c1' });
    const runId = r.body.runs[0]!;
    await eventually('the run to wait', async () => (await api<{ run: { status: string } }>('GET', `/v1/runs/${runId}`)).body.run.status === 'waiting');
    const cancelled = await api<{ run: { status: string } }>('POST', `/v1/runs/${runId}/cancel`);
    expect(cancelled.body.run.status).toBe('cancelled');
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect((await messagesOf(api, 'c1')).map((m) => m.step)).toEqual(['welcome']);
  });
  it('ends a run on its cancelOn event mid-delay: no cart reminder after checkout', async () => {
    await api('PUT', '/v1/users/cart1', { email: 'cart1@example.com', timezone: 'UTC' });
    const r = await api<{ runs: string[] }>('POST', '/v1/events', {
      event: 'cart_abandoned',
      userId: 'cart1',
      properties: { cart_id: 'c', item_count: 2, cart_url: 'https://shop.example.com/cart' },
    });
    const checkout = await api<{ routed: number }>('POST', '/v1/events', {
      event: 'checkout_completed',
      userId: 'cart1',
      properties: { order_id: 'o1', cart_id: 'c', total: 10, currency: 'EUR', items: [{ name: 'Tea', quantity: 1, price: 10 }] },
    });
    expect(checkout.body.routed).toBe(1);
    const run = await eventually('the cart run to be cancelled', async () => {
      const got = await api<{ run: { status: string } }>('GET', `/v1/runs/${r.body.runs[0]}`);
      return got.body.run.status === 'cancelled' ? got.body.run : null;
    });
    expect(run.status).toBe('cancelled');
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect((await messagesOf(api, 'cart1')).filter((m) => m.step === 'reminder-email')).toEqual([]);
  });
});

it('uses the configured key', () => expect(runtime.apiKey).toBe(API_KEY));
