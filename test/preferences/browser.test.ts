/**
 * The preference center in real Chromium (playwright-core, JavaScript off: the page must work as a plain
 * form), against a runtime that sends through the real SendGrid and Twilio SDKs to local fakes. A user turns
 * SMS off for onboarding by keyboard and saves; the onboarding flow's SMS nudge is then skipped for that
 * preference and never reaches Twilio. A user who unsubscribes from an email's link lands on the preference
 * center with a notice. Screenshots go to test/artifacts/preferences-*.png.
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../compiler/preview/browser.ts';
import type { Runtime } from '../../runtime/server.ts';
import { startFakeSendgrid, startFakeTwilio, type FakeProvider } from '../fakes/providers.ts';
import { ensureChromium } from '../setup/chromium.ts';
import { client, eventually, exampleBundle, messagesOf, shorten, startTestRuntime, type Api, type MessageView } from '../runtime/harness.ts';

const SENDGRID_KEY = 'SG.prefs-test-key';
const TWILIO_SID = 'AC00000000000000000000000000000042';
const TWILIO_TOKEN = 'twilio-prefs-test-token';
const artifacts = fileURLToPath(new URL('../artifacts/', import.meta.url));

let sendgrid: FakeProvider;
let twilio: FakeProvider;
let runtime: Runtime;
let api: Api;
let browser: Browser;
let context: BrowserContext;

beforeAll(async () => {
  mkdirSync(artifacts, { recursive: true });
  [sendgrid, twilio] = await Promise.all([startFakeSendgrid({ apiKey: SENDGRID_KEY }), startFakeTwilio({ accountSid: TWILIO_SID, authToken: TWILIO_TOKEN })]);
  runtime = await startTestRuntime('preference_center_browser', {
    // The two-hour wait for the welcome email to be opened takes two seconds.
    bundle: shorten(await exampleBundle(), 1_000),
    env: {
      SENDGRID_API_KEY: SENDGRID_KEY,
      SENDGRID_API_URL: sendgrid.url,
      TWILIO_ACCOUNT_SID: TWILIO_SID,
      TWILIO_AUTH_TOKEN: TWILIO_TOKEN,
      TWILIO_API_URL: twilio.url,
    },
  });
  api = client(runtime);
  browser = await launchChromium(await ensureChromium());
  // No JavaScript: the page is a plain HTML form, and must work as one. Phone width.
  context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 390, height: 844 }, deviceScaleFactor: 2 });
}, 900_000);

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await runtime?.stop();
  await Promise.all([sendgrid, twilio].map((f) => f?.close()));
});

let phones = 0;
async function user(id: string) {
  const phone = `+1555888${String(++phones).padStart(4, '0')}`;
  await api('PUT', `/v1/users/${id}`, { email: `${id}@example.com`, phone_number: phone, traits: { first_name: 'Ada' } });
  return phone;
}

async function message(userId: string, step: string): Promise<MessageView> {
  return eventually(`${userId}'s ${step} message`, async () => (await messagesOf(api, userId)).find((m) => m.step === step && m.status !== 'queued'));
}

const textsTo = (phone: string) => twilio.requests.filter((r) => (r.body as Record<string, string>).To === phone);

async function startOnboarding(userId: string) {
  const r = await api('POST', '/v1/events', { event: 'trial_started', userId, properties: { first_name: 'Ada', plan_type: 'pro' } });
  expect(r.status).toBe(202);
}

/** The page fits a phone's width: nothing scrolls sideways. */
async function fitsWidth(page: Page) {
  const box = await page.locator('main').boundingBox();
  expect(box!.x).toBeGreaterThanOrEqual(0);
  expect(box!.x + box!.width).toBeLessThanOrEqual(390);
}

describe('the preference center in a browser', () => {
  it('turns SMS off for onboarding without JavaScript, and the SMS nudge is then skipped', async () => {
    const phone = await user('browser-sms');
    const control = await user('browser-control');
    const page = await context.newPage();
    const link = `${runtime.url}/preferences/${runtime.deps.links.preferences('browser-sms', Date.now())}`;
    const response = await page.goto(link);
    expect(response!.status()).toBe(200);
    await fitsWidth(page);

    const onboarding = page.getByRole('group', { name: 'Onboarding' });
    await expect.poll(() => onboarding.getByText('Tips for getting started during your trial').isVisible()).toBe(true);
    const sms = onboarding.getByRole('checkbox', { name: 'SMS' });
    expect(await sms.isChecked()).toBe(true);
    expect(await onboarding.getByRole('checkbox', { name: 'Push notifications' }).isChecked()).toBe(false);
    // Required categories: shown checked, locked, and saying why.
    const security = page.getByRole('group', { name: 'Security' });
    expect(await security.getByRole('checkbox', { name: 'SMS' }).isChecked()).toBe(true);
    expect(await security.getByRole('checkbox', { name: 'SMS' }).isDisabled()).toBe(true);
    expect(await security.getByText('cannot be turned off').isVisible()).toBe(true);
    await page.screenshot({ path: `${artifacts}preferences-center.png`, fullPage: true });

    // By keyboard: focus the toggle, Space unchecks it; the focus ring shows where we are.
    await sms.focus();
    await page.keyboard.press('Space');
    expect(await sms.isChecked()).toBe(false);
    await page.screenshot({ path: `${artifacts}preferences-focus.png`, clip: (await onboarding.boundingBox())! });
    await Promise.all([page.waitForURL(/\?saved=1$/), page.getByRole('button', { name: 'Save preferences' }).click()]);
    expect(await page.getByRole('status').innerText()).toBe('Your preferences are saved.');
    expect(await page.getByRole('group', { name: 'Onboarding' }).getByRole('checkbox', { name: 'SMS' }).isChecked()).toBe(false);
    expect(await page.getByRole('group', { name: 'Onboarding' }).getByRole('checkbox', { name: 'Email' }).isChecked()).toBe(true);
    await page.screenshot({ path: `${artifacts}preferences-saved.png`, fullPage: true });
    await page.close();

    const saved = await api<{ categories: Record<string, { channels: Record<string, { allowed: boolean; rule: string }> }> }>(
      'GET',
      '/v1/users/browser-sms/preferences',
    );
    expect(saved.body.categories.onboarding!.channels.sms).toEqual({ allowed: false, rule: 'opted-out' });
    expect(saved.body.categories.onboarding!.channels.email).toEqual({ allowed: true, rule: 'opted-in' });

    // The welcome email is never opened: after the wait, the flow's otherwise-arm texts the user, unless they said no.
    await Promise.all([startOnboarding('browser-sms'), startOnboarding('browser-control')]);
    expect(await message('browser-sms', 'welcome')).toMatchObject({ status: 'sent', provider: 'sendgrid' });
    const nudge = await message('browser-sms', 'nudge-sms');
    expect(nudge).toMatchObject({ channel: 'sms', status: 'skipped', reason: 'preference' });
    expect(await message('browser-control', 'nudge-sms')).toMatchObject({ status: 'sent', provider: 'twilio' });
    expect(textsTo(control)).toHaveLength(1);
    expect(textsTo(phone)).toHaveLength(0);
  });

  it('lands on the preference center with a notice after unsubscribing from an email', async () => {
    await user('browser-unsub');
    await startOnboarding('browser-unsub');
    const welcome = await message('browser-unsub', 'welcome');
    const mail = sendgrid.requests.find((r) => (r.body as { custom_args?: Record<string, string> }).custom_args?.herald_message_id === welcome.id)!;
    const header = (mail.body as { headers: Record<string, string> }).headers['List-Unsubscribe']!;
    const unsubscribe = header.slice(1, -1);
    expect(unsubscribe.startsWith(`${runtime.url}/unsubscribe/`)).toBe(true);

    const page = await context.newPage();
    await page.goto(unsubscribe);
    await page.screenshot({ path: `${artifacts}preferences-unsubscribe.png`, fullPage: true });
    await Promise.all([
      page.waitForURL(/\/preferences\/[\w-]+\.[\w-]+\?unsubscribed=onboarding&channel=email$/),
      page.getByRole('button', { name: 'Unsubscribe' }).click(),
    ]);
    expect(await page.getByRole('status').innerText()).toBe(
      'You are unsubscribed from Tips for getting started during your trial by email. You can change any of your choices below.',
    );
    await fitsWidth(page);
    const onboarding = page.getByRole('group', { name: 'Onboarding' });
    expect(await onboarding.getByRole('checkbox', { name: 'Email' }).isChecked()).toBe(false);
    expect(await onboarding.getByRole('checkbox', { name: 'SMS' }).isChecked()).toBe(true);
    await page.screenshot({ path: `${artifacts}preferences-unsubscribed.png`, fullPage: true });

    // The rest of the choices are a save away, at the freshly signed link the redirect gave.
    await onboarding.getByRole('checkbox', { name: 'SMS' }).uncheck();
    await Promise.all([page.waitForURL(/\?saved=1$/), page.getByRole('button', { name: 'Save preferences' }).click()]);
    const after = await api<{ categories: Record<string, { channels: Record<string, { rule: string }> }> }>('GET', '/v1/users/browser-unsub/preferences');
    expect(after.body.categories.onboarding!.channels.email!.rule).toBe('opted-out');
    expect(after.body.categories.onboarding!.channels.sms!.rule).toBe('opted-out');
    expect((await message('browser-unsub', 'welcome')).history.map((h) => h.status)).toContain('unsubscribed');
    await page.close();
  });

  it('shows a clear page for an expired link', async () => {
    const page = await context.newPage();
    const expired = runtime.deps.links.preferences('browser-sms', Date.now() - 31 * 86_400_000);
    const response = await page.goto(`${runtime.url}/preferences/${expired}`);
    expect(response!.status()).toBe(400);
    expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe('This link does not work');
    expect(await page.locator('input').count()).toBe(0);
    await page.screenshot({ path: `${artifacts}preferences-invalid.png`, fullPage: true });
    await page.close();
  });
});
