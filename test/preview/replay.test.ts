/**
 * From production to a pull request: events accepted by a runtime, exported as NDJSON by
 * `GET /v1/events/export`, then replayed with `herald replay` under the current bundle and a modified one.
 */
import { execFile } from 'node:child_process';
import { readFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson, sealBundle } from '../../compiler/bundle/canonical.ts';
import type { Bundle, Step } from '../../compiler/bundle/schema.ts';
import type { ReplayReport } from '../../compiler/replay/compare.ts';
import { createRouter } from '../../runtime/http/route.ts';
import type { AppDeps } from '../../runtime/http/deps.ts';
import { errorResponse } from '../../runtime/http/errors.ts';
import { exportRoutes } from '../../runtime/http/routes-export.ts';
import type { Runtime } from '../../runtime/server.ts';
import { API_KEY, client, exampleBundle, startTestRuntime, type Api } from '../runtime/harness.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'compiler/cli/herald.js');
// Until runtime/http/app.ts registers exportRoutes, the route is served here with the same /v1 wiring
// (API key middleware, error handler) over the runtime's own database; once registered, the runtime's
// own URL is tested as well.
const registered = readFileSync(join(root, 'runtime/http/app.ts'), 'utf8').includes('exportRoutes(');

function herald(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { cwd: root, env: process.env, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

interface ExportLine {
  event: string;
  userId: string | null;
  properties: Record<string, unknown>;
  messageId: string | null;
  receivedAt: string;
}

let runtime: Runtime;
let api: Api;
let exportUrl: string;
let server: ReturnType<typeof serve>;
const dir = mkdtempSync(join(tmpdir(), 'herald-replay-'));

beforeAll(async () => {
  runtime = await startTestRuntime('replay');
  api = client(runtime);
  const deps: AppDeps = { ...runtime.appDeps, log: () => {}, env: {} };
  const app = new Hono();
  app.onError((error, c) => errorResponse(error, c, () => {}));
  // Two rows per page: five events cross two page boundaries.
  exportRoutes(createRouter(app, { keys: deps.apiKeys }), deps, { pageSize: 2 });
  server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  exportUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await runtime?.stop();
});

const auth = { authorization: `Bearer ${API_KEY}` };

async function exportEvents(base: string, query: string): Promise<{ status: number; type: string | null; lines: ExportLine[]; text: string }> {
  const response = await fetch(`${base}/v1/events/export?${query}`, { headers: auth });
  const text = await response.text();
  const lines = response.ok
    ? text
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as ExportLine)
    : [];
  return { status: response.status, type: response.headers.get('content-type'), lines, text };
}

const posted = [
  { event: 'trial_started', userId: 'ada', properties: { first_name: 'Ada', plan_type: 'pro', trial_days: 14 }, messageId: 'evt-1' },
  { event: 'security_code_requested', userId: 'sec-1', properties: { code: '482915', expires_in_minutes: 10 }, messageId: 'evt-2' },
  {
    event: 'checkout_completed',
    userId: 'buyer',
    properties: { order_id: 'ord_1', cart_id: 'cart_1', total: 12.5, currency: 'EUR', items: [{ name: 'Pen', quantity: 1, price: 12.5 }] },
    messageId: 'evt-3',
  },
  { event: 'security_code_requested', userId: 'sec-2', properties: { code: '100200', expires_in_minutes: 5 }, messageId: 'evt-4' },
  { event: 'trial_started', userId: 'grace', properties: { first_name: 'Grace', plan_type: 'free' }, messageId: 'evt-5' },
  { event: 'security_code_requested', userId: 'sec-3', properties: { code: '777111', expires_in_minutes: 10 }, messageId: 'evt-6' },
];

describe('GET /v1/events/export', () => {
  let since: string;
  let lines: ExportLine[];

  beforeAll(async () => {
    since = new Date(Date.now() - 5_000).toISOString();
    for (const e of posted) expect((await api('POST', '/v1/events', e)).status).toBe(202);
  });

  it('streams every logged event as NDJSON, oldest first, across keyset pages', async () => {
    const r = await exportEvents(exportUrl, `since=${encodeURIComponent(since)}`);
    expect(r.status).toBe(200);
    expect(r.type).toMatch(/^application\/x-ndjson/);
    expect(r.text.endsWith('\n')).toBe(true);
    lines = r.lines;
    expect(lines.map((l) => l.messageId)).toEqual(posted.map((e) => e.messageId));
    expect(lines[0]).toEqual({ event: 'trial_started', userId: 'ada', properties: posted[0]!.properties, messageId: 'evt-1', receivedAt: expect.any(String) });
    const times = lines.map((l) => Date.parse(l.receivedAt));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(times[0]).toBeGreaterThanOrEqual(Date.parse(since));
  });

  it('stops before `until` (exclusive)', async () => {
    const until = lines[3]!.receivedAt;
    const r = await exportEvents(exportUrl, `since=${encodeURIComponent(since)}&until=${encodeURIComponent(until)}`);
    // receivedAt keeps milliseconds, the log microseconds: the fourth event is at or after its own truncated time.
    expect(r.lines.map((l) => l.messageId)).toEqual(['evt-1', 'evt-2', 'evt-3']);
  });

  it('keeps keyset order through events logged at the very same instant', async () => {
    // Five rows in one statement share received_at (the transaction's now()); two more differ by a microsecond.
    await runtime.db.query(
      `INSERT INTO herald.events (message_id, event, user_id, properties, received_at)
       SELECT 'tie-' || n, 'trial_started', 'tie', '{}', '2020-01-01T00:00:00.000100Z'::timestamptz FROM generate_series(1, 5) n`,
    );
    await runtime.db.query(
      `INSERT INTO herald.events (message_id, event, user_id, properties, received_at) VALUES
       ('tie-7', 'trial_started', 'tie', '{}', '2020-01-01T00:00:00.000102Z'), ('tie-6', 'trial_started', 'tie', '{}', '2020-01-01T00:00:00.000101Z')`,
    );
    const r = await exportEvents(exportUrl, 'since=2020-01-01T00:00:00Z&until=2020-01-02T00:00:00Z');
    expect(r.lines.map((l) => l.messageId)).toEqual(['tie-1', 'tie-2', 'tie-3', 'tie-4', 'tie-5', 'tie-6', 'tie-7']);
  });

  it('requires the API key and a valid `since`', async () => {
    expect((await fetch(`${exportUrl}/v1/events/export?since=${encodeURIComponent(since)}`)).status).toBe(401);
    const wrong = await fetch(`${exportUrl}/v1/events/export?since=${encodeURIComponent(since)}`, { headers: { authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
    const missing = await fetch(`${exportUrl}/v1/events/export`, { headers: auth });
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('invalid_request');
    expect((await exportEvents(exportUrl, 'since=yesterday')).status).toBe(400);
    expect((await exportEvents(exportUrl, `since=${encodeURIComponent(since)}&until=${encodeURIComponent(since)}`)).status).toBe(400);
  });

  it.runIf(registered)('is served by the runtime itself, behind the API key', async () => {
    const r = await exportEvents(runtime.url, `since=${encodeURIComponent(since)}`);
    expect(r.status).toBe(200);
    expect(r.lines.map((l) => l.messageId)).toEqual(posted.map((e) => e.messageId));
    expect((await fetch(`${runtime.url}/v1/events/export?since=${encodeURIComponent(since)}`)).status).toBe(401);
  });

  describe('herald replay', () => {
    let events: string;
    let baseFile: string;
    let headFile: string;

    beforeAll(async () => {
      events = join(dir, 'events.ndjson');
      writeFileSync(events, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
      const base = await exampleBundle();
      baseFile = join(dir, 'base.json');
      writeFileSync(baseFile, canonicalJson(base));
      headFile = join(dir, 'head.json');
      writeFileSync(headFile, canonicalJson(modified(base)));
    });

    it('reports the changed sends, messages and SMS segment totals (Markdown)', async () => {
      const r = await herald(['replay', '--events', events, '--bundle', headFile, '--base', baseFile]);
      expect(r.code, r.stderr).toBe(0);
      const md = r.stdout;
      expect(md).toContain('## Replay of 6 recorded events');
      expect(md).toContain('**SMS:** 5 messages, 5 segments → 3 messages, 6 segments (segments +1)');
      expect(md).toContain('| **onboarding** | onboarding-welcome | sms | 2 → 0 | −2 | 0 → 0 | 2 → 0 |');
      expect(md).toContain('| **security-code** | security-code | sms | 3 → 3 | ±0 | 0 → 0 | 3 → 6 |');
      expect(md).toContain('| onboarding | onboarding-welcome | email | 2 → 2 | ±0 | 0 → 0 |  |');
      expect(md).toContain('### No longer sent (2)');
      expect(md).toMatch(/\| line 1 `trial_started` \| ada \| onboarding › nudge-sms \| onboarding-welcome \| sms \| sent · 1 segment \| — \|/);
      expect(md).toContain('### SMS segment changes (3)');
      expect(md).toMatch(
        /\| line 2 `security_code_requested` \| sec-1 \| security-code › code \| security-code \| sms \| sent · 1 segment \| sent · 2 segments \|/,
      );
      expect(md).not.toContain('### Added');
      expect(md).toContain('every user has an email address, a phone number, a push token');
    });

    it('gives every change as JSON with --json', async () => {
      const r = await herald(['replay', '--events', events, '--bundle', headFile, '--base', baseFile, '--json']);
      expect(r.code, r.stderr).toBe(0);
      const report = JSON.parse(r.stdout) as ReplayReport;
      expect(report.base?.sms).toEqual({ messages: 5, segments: 5 });
      expect(report.head.sms).toEqual({ messages: 3, segments: 6 });
      expect(report.changes?.noLongerSent.map((c) => [c.trigger.userId, c.stepId, c.before?.status, c.after])).toEqual([
        ['ada', 'nudge-sms', 'sent', null],
        ['grace', 'nudge-sms', 'sent', null],
      ]);
      expect(report.changes?.segments.map((c) => [c.trigger.messageId, c.before?.segments, c.after?.segments])).toEqual([
        ['evt-2', 1, 2],
        ['evt-4', 1, 2],
        ['evt-6', 1, 2],
      ]);
      // The receipt is untouched: the same two sends under both bundles.
      expect(report.sends.find((s) => s.workflow === 'checkout-receipt' && s.channel === 'push')).toMatchObject({ base: { sent: 1 }, head: { sent: 1 } });
    });

    it("without --base, reports the new bundle's sends only", async () => {
      const r = await herald(['replay', '--events', events, '--bundle', headFile]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('| security-code | security-code | sms | 3 | 0 | 0 | 6 |');
      expect(r.stdout).toContain('**SMS:** 3 messages, 6 segments');
      expect(r.stdout).not.toMatch(/\bbase\b/);
    });

    it('refuses a file that is not an export, naming the line', async () => {
      const bad = join(dir, 'bad.ndjson');
      writeFileSync(bad, `${JSON.stringify(lines[0])}\n{"event":"x"}\n`);
      const r = await herald(['replay', '--events', bad, '--bundle', headFile]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('bad.ndjson:2');
    });
  });
});

/**
 * The change under review: onboarding no longer falls back to SMS, and the sign-in code's SMS grows past
 * one segment.
 */
function modified(bundle: Bundle): Bundle {
  const { version: _version, formatVersion: _format, ...content } = structuredClone(bundle);
  const onboarding = content.workflows.onboarding!;
  const dropSms = (steps: Step[]): Step[] =>
    steps
      .filter((s) => s.id !== 'nudge-sms')
      .map((s) => (s.kind === 'branch' ? { ...s, arms: s.arms.map((a) => ({ ...a, steps: dropSms(a.steps) })), otherwise: dropSms(s.otherwise) } : s));
  onboarding.steps = dropSms(onboarding.steps);
  const code = content.templates['security-code']!;
  code.content.sms = {
    body: `${code.content.sms!.body} If you did not ask for it, someone may be trying to sign in to your account: change your password and tell support@example.com.`,
  };
  return sealBundle(content);
}
