/**
 * The <herald-inbox> widget in real headless Chromium, on the runtime's example host page: the bell and its
 * count, a send arriving live without a reload, read on click, "mark all as read", text-only rendering of
 * what templates put in titles, keyboard use, phone width; and the engagement it reports (opening the panel →
 * seen, opening an item → read, following its action → clicked), as the message log records it. Screenshots go
 * to test/artifacts/inbox-*.png.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sealBundle } from '../../compiler/bundle/canonical.ts';
import type { Bundle } from '../../compiler/bundle/schema.ts';
import { launchChromium } from '../../compiler/preview/browser.ts';
import { signInboxToken } from '../../runtime/inbox/token.ts';
import type { Runtime } from '../../runtime/server.ts';
import { ensureChromium } from '../setup/chromium.ts';
import { client, eventually, exampleBundle, messagesOf, shorten, startTestRuntime, type Api } from '../runtime/harness.ts';

const SECRET = 'widget-test-secret-0123456789abcdef';
const artifacts = fileURLToPath(new URL('../artifacts/', import.meta.url));
/** What a hostile profile might hold; the title below renders it verbatim (in-app fields are plain text). */
const HOSTILE = '<script>window.__heraldPwned = 1</script><img src=x onerror="window.__heraldPwned = 2">';

/** The example bundle, with the in-app welcome title also naming the user's company trait. */
async function bundleWithTraitInTitle(): Promise<Bundle> {
  const { version: _v, formatVersion: _f, ...content } = shorten(await exampleBundle());
  const welcome = content.templates['signup-welcome']!;
  const inapp = welcome.content.inapp!;
  const templates = {
    ...content.templates,
    'signup-welcome': { ...welcome, content: { ...welcome.content, inapp: { ...inapp, title: 'Welcome, {{first_name}} of {{user.traits.company}}' } } },
  };
  return sealBundle({ ...content, templates });
}

describe('<herald-inbox> in Chromium', () => {
  let runtime: Runtime;
  let api: Api;
  let browser: Browser;
  let page: Page;
  const user = `widget-${randomUUID().slice(0, 8)}`;
  const problems: string[] = [];
  /** The engagement reports the widget made: `seen [ids]`, `read <id>`, `click <id>`. */
  const reports: string[] = [];
  /** The user's welcome messages on `channel`, oldest first: id → status. */
  const statuses = async (channel: string) =>
    new Map(
      (await messagesOf(api, user))
        .filter((m) => m.step === 'welcome-all' && m.channel === channel)
        .reverse()
        .map((m) => [m.id, m.status]),
    );

  const bell = () => page.locator('herald-inbox .bell');
  const badge = () => page.locator('herald-inbox .badge');
  const items = () => page.locator('herald-inbox li.item');
  const unreadCount = async () =>
    (await api<{ unread: number }>('GET', `/v1/inbox/count`, undefined, { authorization: `Bearer ${signInboxToken(SECRET, user, 600)}` })).body.unread;

  async function signUp(firstName: string) {
    const r = await api('POST', '/v1/events', { event: 'user_signed_up', userId: user, properties: { first_name: firstName, signup_source: 'web' } });
    expect(r.status).toBe(202);
  }

  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true });
    const [chromium, bundle] = await Promise.all([ensureChromium(), bundleWithTraitInTitle()]);
    runtime = await startTestRuntime('inbox_widget', { env: { HERALD_INBOX_SECRET: SECRET }, bundle });
    api = client(runtime);
    // An email address too: the welcome's email is what read sync marks read.
    await api('PUT', `/v1/users/${user}`, { email: `${user}@example.com`, traits: { company: 'Acme' } });
    // One item before the page opens, so the bell starts with a count.
    await signUp('Ada');
    await eventually('the first item', async () => (await unreadCount()) === 1);
    browser = await launchChromium(chromium);
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('response', (r) => {
      if (r.status() >= 400) problems.push(`${r.status()} ${r.url()}`);
    });
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    page.on('request', (r) => {
      const path = new URL(r.url()).pathname;
      if (r.method() !== 'POST') return;
      if (path === '/v1/inbox/seen') reports.push(`seen ${JSON.stringify((JSON.parse(r.postData() ?? '{}') as { ids?: string[] }).ids)}`);
      const item = /^\/v1\/inbox\/([^/]+)\/(read|click)$/.exec(path);
      if (item) reports.push(`${item[2]} ${item[1]}`);
    });
    await page.goto(`${runtime.url}/inbox/example?token=${signInboxToken(SECRET, user, 600)}`, { waitUntil: 'load' });
    // Marks this document: a reload would lose it.
    await page.evaluate(() => ((window as unknown as { __sameDocument: boolean }).__sameDocument = true));
  }, 900_000);

  afterAll(async () => {
    await browser?.close();
    await runtime?.stop();
  });

  it('shows the bell with the unread count', async () => {
    await expect.poll(() => badge().innerText()).toBe('1');
    expect(await bell().getAttribute('aria-label')).toBe('Notifications, 1 unread');
    expect(await page.locator('herald-inbox [aria-live="polite"]').textContent()).toBe('1 unread notification');
    await page.screenshot({ path: `${artifacts}inbox-bell.png` });
  });

  it('opens a popover list with title, body, time and action link', async () => {
    await bell().click();
    expect(await bell().getAttribute('aria-expanded')).toBe('true');
    await expect.poll(() => items().count()).toBe(1);
    const item = items().first();
    expect(await item.locator('.title').innerText()).toBe('Welcome, Ada of Acme');
    expect(await item.locator('.body').innerText()).toBe('Finish setting up your profile to get the most out of it.');
    expect(await item.locator('time').getAttribute('datetime')).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect(await item.locator('a.action').getAttribute('href')).toBe(`${runtime.url}/settings/profile`);
    await page.screenshot({ path: `${artifacts}inbox-open.png` });
  });

  it('reports the items the opened panel shows as seen, once', async () => {
    const id = await items().first().getAttribute('data-id');
    // The stream that showed it reported it delivered before; opening the panel makes it seen.
    await expect.poll(() => reports).toEqual([`seen ["${id}"]`]);
    await expect.poll(async () => (await statuses('inapp')).get(id!)).toBe('seen');
    await bell().click();
    await bell().click();
    expect(reports).toEqual([`seen ["${id}"]`]);
  });

  it('receives a new item live, without a reload, and shows markup in a title as text', async () => {
    await api('PUT', `/v1/users/${user}`, { traits: { company: HOSTILE } });
    await signUp('Grace');
    await expect.poll(() => items().count(), { timeout: 15_000 }).toBe(2);
    await expect.poll(() => badge().innerText()).toBe('2');
    const newest = items().first();
    expect(await newest.locator('.title').innerText()).toBe(`Welcome, Grace of ${HOSTILE}`);
    // Text, not markup: no element was made from it, nothing ran.
    expect(await page.locator('herald-inbox li.item script, herald-inbox li.item img').count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __heraldPwned?: number }).__heraldPwned)).toBeUndefined();
    expect(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument)).toBe(true);
    await page.screenshot({ path: `${artifacts}inbox-live.png` });
    // It arrived in an open panel: seen as it came.
    const id = await newest.getAttribute('data-id');
    await expect.poll(() => reports.at(-1)).toBe(`seen ["${id}"]`);
  });

  it('marks an item read on click, and the count drops; read sync marks its email read', async () => {
    const newest = items().first();
    const id = (await newest.getAttribute('data-id'))!;
    expect(await newest.getAttribute('class')).toContain('unread');
    await newest.locator('button.open').click();
    await expect.poll(() => badge().innerText()).toBe('1');
    await expect.poll(unreadCount).toBe(1);
    expect(await newest.getAttribute('class')).not.toContain('unread');
    expect(await bell().getAttribute('aria-label')).toBe('Notifications, 1 unread');
    expect(reports.at(-1)).toBe(`read ${id}`);
    await expect.poll(async () => (await statuses('inapp')).get(id)).toBe('read');
    // welcome-everywhere has readSync: the same step's email (Grace's, the newest) is read too, Ada's is not.
    await expect.poll(async () => [...(await statuses('email')).values()]).toEqual(['sent', 'read']);
  });

  it('marks everything read, and the badge goes away', async () => {
    await page.locator('herald-inbox button.all').click();
    await expect.poll(() => badge().isVisible()).toBe(false);
    await expect.poll(unreadCount).toBe(0);
    expect(await page.locator('herald-inbox [aria-live="polite"]').textContent()).toBe('No unread notifications');
    expect(await page.locator('herald-inbox button.all').getAttribute('aria-disabled')).toBe('true');
  });

  it('reports a click when an item’s action link is followed', async () => {
    const older = items().nth(1);
    const id = (await older.getAttribute('data-id'))!;
    // The host page keeps the test on this document; the widget's own listener still runs.
    await older.locator('a.action').evaluate((a) => a.addEventListener('click', (e) => e.preventDefault()));
    await older.locator('a.action').click();
    await expect.poll(() => reports.at(-1)).toBe(`click ${id}`);
    await expect.poll(async () => (await statuses('inapp')).get(id)).toBe('clicked');
  });

  it('works from the keyboard: Escape closes and gives focus back to the bell', async () => {
    await page.keyboard.press('Escape');
    await expect.poll(() => page.locator('herald-inbox .panel').isVisible()).toBe(false);
    expect(await page.evaluate(() => document.querySelector('herald-inbox')?.shadowRoot?.activeElement?.className)).toBe('bell');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('herald-inbox .panel').isVisible()).toBe(true);
    const focused = () => page.evaluate(() => document.querySelector('herald-inbox')?.shadowRoot?.activeElement?.className);
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('all');
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('open');
    await page.keyboard.press('Escape');
  });

  it('fits a phone screen', async () => {
    await page.setViewportSize({ width: 375, height: 740 });
    await bell().click();
    const box = await page.locator('herald-inbox .panel').boundingBox();
    expect(box).not.toBeNull();
    expect(box!.x).toBeGreaterThanOrEqual(0);
    expect(box!.x + box!.width).toBeLessThanOrEqual(375);
    await page.screenshot({ path: `${artifacts}inbox-phone.png` });
  });

  it('logged no errors on the page', () => {
    expect(problems).toEqual([]);
  });

  // After the check above: the refused token makes the browser log its 401s.
  it('tells the host page when its token is refused, and carries on with a fresh one', async () => {
    await page.evaluate(() => {
      const inbox = document.querySelector('herald-inbox')!;
      (window as unknown as { __expired: number }).__expired = 0;
      inbox.addEventListener('herald-inbox-expired', () => (window as unknown as { __expired: number }).__expired++);
    });
    const expired = signInboxToken(SECRET, user, 60, Date.now() - 3_600_000);
    await page.evaluate((t) => document.querySelector('herald-inbox')!.setAttribute('token', t), expired);
    await expect.poll(() => page.evaluate(() => (window as unknown as { __expired: number }).__expired), { timeout: 10_000 }).toBe(1);
    expect(await page.locator('herald-inbox .status').innerText()).toContain('session expired');
    await signUp('Linus');
    await page.evaluate((t) => document.querySelector('herald-inbox')!.setAttribute('token', t), signInboxToken(SECRET, user, 600));
    await expect.poll(() => badge().innerText(), { timeout: 10_000 }).toBe('1');
    await expect.poll(() => items().count()).toBe(3);
  });
});
