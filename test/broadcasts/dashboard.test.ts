/**
 * The dashboard's broadcasts page in real Chromium: each broadcast of the live bundle with who it reaches, its rate
 * and window; the Send button starts a broadcast run whose progress (planned, started, sent, skipped by reason)
 * the page shows and refreshes; a resubmitted Send form sends once (its token is the Idempotency-Key); the Cancel
 * button stops a run still waiting for its window; both actions are audited as the dashboard. Without a session, or
 * from another origin, the forms are refused. Screenshot: test/artifacts/dashboard-broadcasts.png.
 */
import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../compiler/preview/browser.ts';
import type { Runtime } from '../../runtime/server.ts';
import { call, get, login, overHttp, postForm } from '../dashboard/helpers.ts';
import { ensureChromium } from '../setup/chromium.ts';
import { API_KEY, client, eventually, startTestRuntime, type Api } from '../runtime/harness.ts';
import { broadcastsBundle, withClosedWindow } from './bundle.ts';

const ARTIFACTS = 'test/artifacts';

let runtime: Runtime;
let api: Api;
let browser: Browser;
let page: Page;

async function member(list: string, id: string, profile: Record<string, unknown>) {
  expect((await api('PUT', `/v1/users/${id}`, profile)).status).toBeLessThan(300);
  expect((await api('PUT', `/v1/lists/${list}/members/${id}`)).status).toBeLessThan(300);
}

/** The progress cells of a run's row. */
async function counts(runId: string): Promise<Record<string, string>> {
  return page.$$eval(`#run-${runId} [data-count]`, (cells) =>
    Object.fromEntries(cells.map((c) => [c.getAttribute('data-count')!, c.textContent!.trim().replace(/\s+/g, ' ')])),
  );
}

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  const chromium = await ensureChromium();
  runtime = await startTestRuntime('broadcast_dashboard', { bundle: withClosedWindow(await broadcastsBundle()) });
  api = client(runtime);
  await member('branded', 'd-1', { email: 'd-1@example.com' });
  await member('branded', 'd-2', { email: 'd-2@example.com' });
  await member('branded', 'd-none', {});
  for (let i = 0; i < 3; i++) await member('slowlist', `w-${i}`, { phone_number: `+1555000900${i}` });
  browser = await launchChromium(chromium);
  page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
}, 900_000);

afterAll(async () => {
  await browser?.close();
  await runtime?.stop();
});

describe('the broadcasts page', () => {
  it('lists the live bundle’s broadcasts, sends one with its button and shows its progress', async () => {
    await page.goto(`${runtime.url}/dashboard/broadcasts`);
    await page.getByLabel('API key').fill(API_KEY);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${runtime.url}/dashboard/broadcasts`);
    expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe('Broadcasts');
    expect(await page.locator('nav [aria-current="page"]').innerText()).toBe('Broadcasts');
    const rows = await page.$$eval('#broadcasts tbody tr', (trs) => trs.map((tr) => [...tr.children].slice(0, 5).map((td) => td.textContent!.trim())));
    expect(rows).toContainEqual(['branded', 'list branded', 'unlimited', '—', '—']);
    expect(rows).toContainEqual(expect.arrayContaining(['slow', 'list slowlist', '60/min', 'promotions']));
    expect(await page.locator('#broadcast-runs').count()).toBe(0);

    await page.getByRole('button', { name: 'Send broadcast branded now' }).click();
    await page.waitForURL(/\/dashboard\/broadcasts\?sent=/);
    const runId = new URL(page.url()).searchParams.get('sent')!;
    expect(await page.getByRole('status').innerText()).toContain(runId);
    // The page reloads itself while the run goes on; the test reloads rather than wait for it.
    const done = await eventually('the run to finish on the page', async () => {
      await page.reload();
      const row = page.locator(`#run-${runId}`);
      return (await row.getAttribute('data-status')) === 'done' && (await counts(runId)).pending === '0' ? counts(runId) : null;
    });
    expect(done).toEqual({ planned: '3', started: '3', sent: '2', skipped: '1 (no_address 1)', failed: '0', cancelled: '0', pending: '0' });
    // Nothing left to stop: no Cancel button, and no reloading.
    expect(await page.locator(`#run-${runId} button`).count()).toBe(0);
    expect(await page.locator('meta[http-equiv="refresh"]').count()).toBe(0);
    await page.screenshot({ path: `${ARTIFACTS}/dashboard-broadcasts.png`, fullPage: true });
  });

  it('cancels a run still waiting for its window with its Cancel button', async () => {
    await page.goto(`${runtime.url}/dashboard/broadcasts`);
    await page.getByRole('button', { name: 'Send broadcast slow now' }).click();
    await page.waitForURL(/sent=/);
    const runId = new URL(page.url()).searchParams.get('sent')!;
    await eventually('the first page started', async () => {
      await page.reload();
      const c = await counts(runId);
      return c.started === '3' && c.pending === '3' ? c : null;
    });
    expect(await page.locator('meta[http-equiv="refresh"]').count()).toBe(1);
    await page.getByRole('button', { name: `Cancel broadcast run ${runId}` }).click();
    await page.waitForURL(/cancelled=/);
    // Every recipient had started (one short page): the fan-out is done, its runs cancelled before they sent.
    expect(await page.locator(`#run-${runId}`).getAttribute('data-status')).toBe('done');
    expect(await counts(runId)).toMatchObject({ started: '3', sent: '0', cancelled: '3', pending: '0' });
    expect(await page.locator(`#run-${runId} button`).count()).toBe(0);
    const audit = await runtime.db.query<{ actor: string; action: string }>(
      `SELECT actor, action FROM herald.audit_log WHERE action IN ('broadcast_sent', 'broadcast_cancelled') ORDER BY id`,
    );
    expect(audit.rows).toEqual([
      { actor: 'dashboard', action: 'broadcast_sent' },
      { actor: 'dashboard', action: 'broadcast_sent' },
      { actor: 'dashboard', action: 'broadcast_cancelled' },
    ]);
  });

  it('sends once for a resubmitted form, and refuses forms without a session or from elsewhere', async () => {
    const web = overHttp(runtime.url);
    const cookie = await login(web, runtime.url);
    const token = '6f1d4c1e-8a53-4b8e-9d5b-2f5e0b1f9a77';
    const first = await postForm(web, runtime.url, '/dashboard/broadcasts/branded/send', { token }, cookie);
    const again = await postForm(web, runtime.url, '/dashboard/broadcasts/branded/send', { token }, cookie);
    expect(first.status).toBe(303);
    expect(again.location).toBe(first.location);
    expect((await postForm(web, runtime.url, '/dashboard/broadcasts/branded/send', { token: 'not-a-uuid' }, cookie)).status).toBe(400);
    expect((await postForm(web, runtime.url, '/dashboard/broadcasts/nope/send', { token: crypto.randomUUID() }, cookie)).status).toBe(404);
    expect((await postForm(web, 'http://evil.example', '/dashboard/broadcasts/branded/send', { token: crypto.randomUUID() }, cookie)).status).toBe(403);
    const anonymous = await postForm(web, runtime.url, '/dashboard/broadcasts/branded/send', { token: crypto.randomUUID() });
    expect(anonymous.status).toBe(303);
    expect(anonymous.location).toMatch(/^\/dashboard\/login/);
    expect((await get(web, '/dashboard/broadcasts')).status).toBe(302);
    expect((await call(web, '/dashboard/broadcasts/runs/not-a-uuid/cancel', { method: 'POST', headers: { origin: runtime.url, cookie } })).status).toBe(404);
    const fanouts = await runtime.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM herald.fanouts WHERE kind = 'broadcast'`);
    // The two of the earlier cases, and one for the resubmitted form.
    expect(fanouts.rows[0]!.n).toBe(3);
  });
});
