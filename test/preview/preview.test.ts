/**
 * `herald preview` end to end: the real command on the example notifications, then the page it wrote read in
 * headless Chromium the way a reviewer reads it (rendered text, not the HTML source).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../compiler/preview/browser.ts';
import { ensureChromium } from '../setup/chromium.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'compiler/cli/herald.js');

function herald(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { cwd: root, env: { ...process.env, ...env } }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

describe('herald preview', () => {
  let chromium: string;
  let out: string;
  let browser: Browser;
  let page: Page;
  const requests: string[] = [];

  beforeAll(async () => {
    chromium = await ensureChromium();
    out = mkdtempSync(join(tmpdir(), 'herald-preview-'));
    const result = await herald(['preview', 'notifications', '--out', out]);
    expect(result.stderr).toContain('wrote');
    expect(result.code).toBe(0);
    browser = await launchChromium(chromium);
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(pathToFileURL(join(out, 'index.html')).href, { waitUntil: 'load' });
  }, 900_000);

  afterAll(async () => {
    await browser?.close();
  });

  /** The data an example was rendered with, as the page shows it. */
  async function exampleData(anchor: string): Promise<Record<string, unknown>> {
    // textContent: the data sits in a closed <details>, which has no rendered text.
    return JSON.parse((await page.locator(`#${anchor} details.data pre`).textContent()) ?? '') as Record<string, unknown>;
  }

  it("shows an email's subject and body rendered with the example's data", async () => {
    const { first_name } = await exampleData('t-onboarding-welcome--default--1');
    expect(first_name).toEqual(expect.any(String));
    const email = page.locator('#t-onboarding-welcome--default--1 .card.email');
    expect(await email.locator('.subject').innerText()).toBe(`Welcome aboard, ${String(first_name)}`);
    // The body is the email's own HTML, rendered inside its sandboxed frame.
    const body = email.frameLocator('iframe.email-body').locator('body');
    expect(await body.innerText()).toContain(`Hi ${String(first_name)}, welcome to the pro plan!`);
    expect(await page.locator('#t-onboarding-welcome--default--1 .text-part pre').textContent()).toContain(
      `Hi ${String(first_name)}, welcome to the pro plan!`,
    );
  });

  it('renders each locale variant, with the locale on the profile', async () => {
    const { first_name } = await exampleData('t-onboarding-welcome--fr--1');
    expect(await page.locator('#t-onboarding-welcome--fr--1 .card.email .subject').innerText()).toBe(`Bienvenue à bord, ${String(first_name)}`);
    // inapp has no French content: the default stands in, and the label does not claim otherwise.
    expect(await page.locator('#t-onboarding-welcome--fr--1 .message-inapp .label').innerText()).toMatch(/^inapp$/i);
  });

  it('shows SMS with its segment count and encoding', async () => {
    const sms = page.locator('#t-security-code--default--1 .card.sms');
    expect(await sms.locator('.bubble').innerText()).toContain('Your sign-in code is 482915');
    expect(await sms.locator('.segments').innerText()).toMatch(/^1 segment · GSM-7 · \d+ characters$/);
    // "ê" is not in the GSM-7 table: the French variant goes out as UCS-2, and at 70+ units in two parts.
    expect(await page.locator('#t-onboarding-welcome--fr--1 .card.sms .segments').innerText()).toMatch(/^2 segments · UCS-2 · \d+ UTF-16 units$/);
  });

  it('shows push and in-app messages as cards', async () => {
    const push = page.locator('#t-checkout-receipt--default--1 .card.push');
    expect(await push.locator('.title').innerText()).toBe('Order ord_1042 confirmed');
    expect(await push.locator('.body').innerText()).toBe('We received your payment of 54.5 EUR.');
    const inapp = page.locator('#t-signup-welcome--default--1 .card.inapp');
    expect(await inapp.locator('.action').innerText()).toContain('/settings/profile');
  });

  it('is navigable and self-contained', async () => {
    const sections = await page.locator('section.template').evaluateAll((els) => els.map((e) => e.id));
    const links = await page.locator('nav.toc > ol > li > a').evaluateAll((els) => els.map((e) => e.getAttribute('href')));
    expect(sections.length).toBeGreaterThanOrEqual(8);
    expect(links).toEqual(sections.map((id) => `#${id}`));
    await page.locator('nav.toc a[href="#t-security-code"]').click();
    expect(new URL(page.url()).hash).toBe('#t-security-code');
    // Nothing but the file itself (and its srcdoc frames) was loaded.
    expect(requests.filter((url) => !url.startsWith('file:') && !url.startsWith('about:') && !url.startsWith('data:'))).toEqual([]);
    expect(readFileSync(join(out, 'index.html'), 'utf8')).not.toMatch(/<link\b|<script\s+src|@import/i);
  });

  it('--png writes a screenshot of every card beside the page and links it', async () => {
    const pngOut = mkdtempSync(join(tmpdir(), 'herald-preview-png-'));
    const result = await herald(['preview', '--out', pngOut, '--png'], { HERALD_CHROMIUM: chromium });
    expect(result.code, result.stderr).toBe(0);
    const pngs = readdirSync(pngOut).filter((f) => f.endsWith('.png'));
    const cards = await page.locator('[data-shot]').count();
    expect(pngs.length).toBe(cards);
    for (const file of pngs) expect(readFileSync(join(pngOut, file)).subarray(0, 8).equals(PNG_SIGNATURE), file).toBe(true);
    const html = readFileSync(join(pngOut, 'index.html'), 'utf8');
    for (const file of pngs) expect(html).toContain(`href="${file}"`);
    expect(pngs).toContain('onboarding-welcome.default.1.email.png');
  }, 300_000);
});
