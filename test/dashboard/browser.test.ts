/**
 * The dashboard in real Chromium (Debian's, through playwright-core): sign in, read and filter the live
 * message list, follow a message to its timeline and content frame, then its user and workflow, and see the
 * providers' charts; at phone width too. Screenshots go to test/artifacts/dashboard-*.png.
 */
import { mkdirSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../compiler/preview/browser.ts';
import type { Runtime } from '../../runtime/server.ts';
import { ensureChromium } from '../setup/chromium.ts';
import { API_KEY, client, eventually, messagesOf, startTestRuntime, type Api, type MessageView } from '../runtime/harness.ts';

const ARTIFACTS = 'test/artifacts';
const HOSTILE = '<script>alert("trait")</script>';

let runtime: Runtime;
let api: Api;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let adaEmail: MessageView;
const requests: string[] = [];
const dialogs: string[] = [];

/**
 * A whole-page screenshot. Playwright's fullPage capture leaves sandboxed frames below the fold blank (they
 * render out of process), so the viewport is made as tall as the page for the shot instead.
 */
async function shot(name: string, target: Page = page) {
  const size = target.viewportSize()!;
  const height = await target.evaluate(() => document.documentElement.scrollHeight);
  await target.setViewportSize({ width: size.width, height: Math.max(size.height, height) });
  await target.screenshot({ path: `${ARTIFACTS}/dashboard-${name}.png` });
  await target.setViewportSize(size);
}

/** The channel and status cells of the list's rows. */
async function rows(target: Page = page): Promise<{ channel: string; status: string }[]> {
  return target.$$eval('#messages tbody tr', (trs) =>
    trs.map((tr) => ({ channel: tr.children[3]?.textContent?.trim() ?? '', status: tr.children[5]?.querySelector('.badge')?.textContent?.trim() ?? '' })),
  );
}

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  const chromium = await ensureChromium();
  runtime = await startTestRuntime('dashboard_browser', { env: { HERALD_DASHBOARD_SAMPLE_MS: '250' } });
  api = client(runtime);
  await api('PUT', '/v1/users/ada', { email: 'ada@example.com', phone_number: '+15550001111', locale: 'en', traits: { plan: 'pro', nickname: HOSTILE } });
  await api('POST', '/v1/users/ada/heartbeat');
  await api('PUT', '/v1/users/grace', { email: 'grace@example.com' });
  await api('POST', '/v1/events', { event: 'user_signed_up', userId: 'ada', properties: { first_name: 'Ada', signup_source: 'web' } });
  await api('POST', '/v1/events', { event: 'security_code_requested', userId: 'ada', properties: { code: '482915', expires_in_minutes: 10 } });
  await api('POST', '/v1/events', { event: 'trial_started', userId: 'grace', properties: { first_name: 'Grace', plan_type: 'pro' } });
  const ada = await eventually('ada’s four messages', async () => {
    const list = await messagesOf(api, 'ada');
    return list.length >= 4 ? list : null;
  });
  adaEmail = ada.find((m) => m.channel === 'email' && m.step === 'welcome-all')!;
  await api('POST', `/v1/messages/${adaEmail.id}/events`, { event: 'delivered' });
  await api('POST', `/v1/messages/${adaEmail.id}/events`, { event: 'opened' });
  await eventually('grace’s welcome', async () => (await messagesOf(api, 'grace')).length >= 1);

  browser = await launchChromium(chromium);
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
  page.on('request', (r) => requests.push(r.url()));
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
}, 900_000);

afterAll(async () => {
  await browser?.close();
  await runtime?.stop();
});

describe('the dashboard in Chromium', () => {
  it('sends a visitor to the login form, refuses a wrong key and signs in with the right one', async () => {
    await page.goto(`${runtime.url}/dashboard`);
    expect(new URL(page.url()).pathname).toBe('/dashboard/login');
    await page.getByLabel('API key').fill('wrong-key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert').innerText()).resolves.toContain('That is not the API key.');
    await shot('login');
    await page.getByLabel('API key').fill(API_KEY);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${runtime.url}/dashboard`);
    expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe('Messages');
    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === 'herald_dashboard')!;
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/dashboard' });
  });

  it('lists the messages, with counts by status, and updates live', async () => {
    const before = await rows();
    expect(before.length).toBeGreaterThanOrEqual(5);
    expect(new Set(before.map((r) => r.channel))).toEqual(new Set(['email', 'sms', 'push', 'inapp']));
    // Counts and rows come from the same answer (Grace's onboarding may have skipped its SMS nudge by now).
    const skipped = before.filter((r) => r.status === 'skipped').length;
    expect(skipped).toBeGreaterThanOrEqual(1);
    expect(await page.locator('[data-count="skipped"]').innerText()).toBe(String(skipped));
    expect(await page.locator('[data-count=""]').innerText()).toBe(String(before.length));
    await shot('messages');
    // A new message appears without reloading the page (the list polls every 5 s).
    await api('POST', '/v1/events', { event: 'security_code_requested', userId: 'grace', properties: { code: '111222', expires_in_minutes: 5 } });
    await page.waitForFunction((n) => document.querySelectorAll('#messages tbody tr').length > n, before.length, { timeout: 15_000 });
    expect(await page.locator('#messages tbody tr.new').count()).toBeGreaterThanOrEqual(1);
    expect(await page.locator('#live-status').innerText()).toMatch(/Updated .* new/);
  });

  it('filters by channel, then by status', async () => {
    await page.getByLabel('Channel', { exact: true }).selectOption('sms');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/channel=sms/);
    const sms = await rows();
    expect(sms.length).toBeGreaterThanOrEqual(1);
    expect(sms.every((r) => r.channel === 'sms')).toBe(true);
    await shot('filter-channel');
    await page.getByLabel('Channel', { exact: true }).selectOption('');
    await page.getByLabel('Status', { exact: true }).selectOption('skipped');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/status=skipped/);
    const skipped = await rows();
    // Ada has no push token; Grace has no phone number (for her code, and her onboarding's SMS nudge).
    expect(skipped.every((r) => r.status === 'skipped')).toBe(true);
    expect(new Set(skipped.map((r) => r.channel))).toEqual(new Set(['push', 'sms']));
    // The counts link filters too, and marks where the reader is.
    expect(await page.locator('ul.counts a[aria-current="true"]').innerText()).toMatch(new RegExp(`^skipped\\s+${skipped.length}$`));
    await shot('filter-status');
  });

  it('opens a message: its timeline, and its email in a sandboxed frame', async () => {
    await page.goto(`${runtime.url}/dashboard?user=ada&channel=email`);
    await page.locator(`#messages tr[data-id="${adaEmail.id}"] td:first-child a`).click();
    await page.waitForURL(`${runtime.url}/dashboard/messages/${adaEmail.id}`);
    const stages = await page.locator('ol.stages li.reached strong').allInnerTexts();
    expect(stages).toEqual(['queued', 'sent', 'delivered', 'opened']);
    expect(await page.locator('ol.timeline > li').count()).toBeGreaterThanOrEqual(4);
    const frame = page.locator('iframe.email-frame');
    expect(await frame.getAttribute('sandbox')).toBe('');
    expect(await page.frameLocator('iframe.email-frame').locator('body').innerText()).toContain('Hi Ada, your account (ada@example.com) is ready.');
    expect(await page.locator('.subject').innerText()).toBe('Your account is ready, Ada');
    expect(await page.locator('#h-provider + pre.json').innerText()).toContain('"sandbox": true');
    await shot('message');
    await frame.screenshot({ path: `${ARTIFACTS}/dashboard-message-frame.png` });
    await page.locator('#run-link').click();
    await page.waitForURL(/\/dashboard\/runs\//);
    expect(await page.locator('#run-history').innerText()).toContain('welcome-all');
    await page.goBack();
  });

  it("opens the message's user: profile (a <script> trait as text), presence, preferences and every channel", async () => {
    await page.locator('dl.facts a[href="/dashboard/users/ada"]').click();
    await page.waitForURL(`${runtime.url}/dashboard/users/ada`);
    expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe('User ada');
    expect(await page.locator('#profile').innerText()).toContain(`"nickname": "${HOSTILE.replace(/"/g, '\\"')}"`);
    expect(dialogs).toEqual([]);
    expect(await page.locator('#presence').innerText()).toMatch(/^Last active .* ago\)\.$/);
    const header = await page.locator('#preferences thead th').allInnerTexts();
    expect(header).toEqual(['Category', 'email', 'sms', 'push', 'inapp']);
    expect(await page.locator('#preferences tbody th').count()).toBeGreaterThanOrEqual(1);
    const channels = await page.$$eval('#user-messages tbody tr', (trs) => trs.map((tr) => tr.children[2]?.textContent?.trim()));
    expect(new Set(channels)).toEqual(new Set(['email', 'sms', 'push', 'inapp']));
    await shot('user');
  });

  it("opens a workflow: the compiler's graph with run counts, runs in flight, bundle versions", async () => {
    await page.goto(`${runtime.url}/dashboard/messages/${adaEmail.id}`);
    await page.locator('dl.facts a[href="/dashboard/workflows/welcome-everywhere"]').click();
    await page.waitForURL(`${runtime.url}/dashboard/workflows/welcome-everywhere`);
    const graph = page.locator('#graph svg');
    expect(await graph.isVisible()).toBe(true);
    expect(await graph.locator('g.node.step').count()).toBe(1);
    expect(await graph.locator('g.run-count text').first().textContent()).toMatch(/^\d+ runs?$/);
    expect(await page.locator('#step-counts tbody tr').first().innerText()).toMatch(/welcome-all\s+send\s+1\s+0/);
    expect(await page.locator('#bundles').innerText()).toContain('live');
    await shot('workflow');
    await page.goto(`${runtime.url}/dashboard/workflows/onboarding`);
    expect(await page.locator('#graph svg g.node.step').count()).toBeGreaterThan(3);
    await shot('workflow-onboarding');
  });

  it('shows the providers with charts of success rate, latency and breaker state', async () => {
    await page.getByRole('link', { name: 'Providers' }).click();
    await page.waitForURL(`${runtime.url}/dashboard/providers`);
    // Sandboxed sends count for the provider they stand in for: sendgrid has attempts and a drawn line.
    await eventually('a success-rate line for sendgrid', async () => {
      await page.reload();
      return (await page.locator('article[data-provider="sendgrid"] svg polyline').count()) > 0;
    });
    const chart = page.locator('article[data-provider="sendgrid"] figure.chart svg').first();
    expect(await chart.getAttribute('role')).toBe('img');
    const box = (await chart.boundingBox())!;
    expect(box.width).toBeGreaterThan(200);
    expect(await page.locator('#providers-now tbody tr').count()).toBeGreaterThanOrEqual(4);
    await shot('providers');
  });

  it('is usable at phone width and by keyboard', async () => {
    const phone = await context.newPage();
    await phone.setViewportSize({ width: 390, height: 844 });
    phone.on('request', (r) => requests.push(r.url()));
    await phone.goto(`${runtime.url}/dashboard`);
    // The page itself never scrolls sideways: wide tables scroll inside their own box.
    expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await phone.keyboard.press('Tab');
    expect(await phone.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    expect(await phone.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle)).not.toBe('none');
    await shot('phone', phone);
    await phone.goto(`${runtime.url}/dashboard/messages/${adaEmail.id}`);
    expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await shot('phone-message', phone);
    await phone.close();
  });

  it('loaded nothing from anywhere else', () => {
    const foreign = requests.filter((url) => !url.startsWith(runtime.url) && !url.startsWith('about:') && !url.startsWith('data:'));
    expect(foreign).toEqual([]);
  });

  it('signs out', async () => {
    await page.goto(`${runtime.url}/dashboard`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${runtime.url}/dashboard/login`);
    await page.goto(`${runtime.url}/dashboard/providers`);
    expect(new URL(page.url()).pathname).toBe('/dashboard/login');
  });
});
