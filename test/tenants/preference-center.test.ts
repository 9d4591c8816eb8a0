/**
 * The hosted preference center opened from a tenant's message (real runtime: HTTP, PostgreSQL, pg-boss, the
 * sandbox provider): the `{{preferences_url}}` of a tenant's email names the tenant, signed (editing it breaks
 * the link; an untenanted link keeps working); the page shows, per toggle, the state the engine would apply —
 * the user's choice, else the tenant's default, else the category's — and says which; a save writes the user's
 * own choices without turning untouched tenant defaults into choices; the next send agrees with the page; an
 * unsubscribe from a tenant's message lands on that tenant's page. And in Chromium (JavaScript off, phone width):
 * the source lines show, and a toggle changed by keyboard is saved as the user's choice. Screenshot:
 * test/artifacts/preferences-tenant.png.
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../compiler/preview/browser.ts';
import type { Runtime } from '../../runtime/server.ts';
import { ensureChromium } from '../setup/chromium.ts';
import { client, eventually, messagesOf, startTestRuntime, type Api, type MessageView } from '../runtime/harness.ts';

let runtime: Runtime;
let api: Api;

beforeAll(async () => {
  runtime = await startTestRuntime('tenant_preference_center');
  api = client(runtime);
  await api('PUT', '/v1/tenants/acme', {
    name: 'Acme',
    defaultPreferences: { categories: { onboarding: { sms: false, push: true }, activity: { email: false } } },
  });
}, 60_000);

let browser: Browser | undefined;
afterAll(async () => {
  await browser?.close();
  await runtime?.stop();
});

const user = (id: string) => api('PUT', `/v1/users/${id}`, { email: `${id}@example.com`, phone_number: '+15550002222' });
const trial = async (userId: string, tenant?: string) => {
  const r = await api<{ runs: string[] }>('POST', '/v1/events', {
    event: 'trial_started',
    userId,
    properties: { first_name: 'Ada', plan_type: 'pro' },
    ...(tenant ? { tenant } : {}),
  });
  expect(r.status).toBe(202);
  return r.body.runs[0]!;
};
const welcomeOf = (userId: string, runId: string) =>
  eventually<MessageView>(`${userId}'s welcome`, async () => (await messagesOf(api, userId)).find((m) => m.runId === runId && m.step === 'welcome'));

/** The preference link in a message's text, as the runtime serves it, and its token. */
function preferenceLinkIn(message: MessageView): { url: string; token: string } {
  const found = new RegExp(`${runtime.deps.publicUrl}/preferences/([\\w-]+\\.[\\w-]+)`).exec(String(message.content!.text));
  expect(found, String(message.content!.text)).not.toBeNull();
  return { url: `${runtime.url}/preferences/${found![1]}`, token: found![1]! };
}
const link = (userId: string, tenant?: string) => `${runtime.url}/preferences/${runtime.deps.links.preferences(userId, Date.now(), { tenant })}`;

/** Every toggle of a page by `<category>:<channel>`: checked, and what the page says decided it. */
function toggles(page: string) {
  const found: Record<string, { checked: boolean; source: string | null }> = {};
  for (const [tag] of page.matchAll(/<input type="checkbox"[^>]*name="on"[^>]*>/g)) {
    const value = /value="([^"]*)"/.exec(tag)![1]!;
    const describedBy = /aria-describedby="([^"]*)"/.exec(tag)?.[1];
    const source = describedBy ? new RegExp(`id="${describedBy}">([^<]*)<`).exec(page)?.[1] : undefined;
    found[value] = { checked: /\schecked[\s/>]/.test(tag), source: source === undefined ? null : source.replaceAll('&#39;', "'") };
  }
  return found;
}

async function post(url: string, fields: [string, string][]) {
  return fetch(url, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
}

/** What a browser posts for a page saved as shown, with `flip` toggled. */
function formAsShown(page: string, flip: string[] = []): [string, string][] {
  const shown = toggles(page);
  const fields: [string, string][] = Object.keys(shown).map((key) => ['shown', key]);
  for (const [key, { checked }] of Object.entries(shown)) if (checked !== flip.includes(key)) fields.push(['on', key]);
  return fields;
}

type Rule = { allowed: boolean; rule: string };
const stored = async (userId: string) =>
  (await api<{ categories: Record<string, { channels: Record<string, Rule> }> }>('GET', `/v1/users/${userId}/preferences`)).body.categories;

describe("the preference link in a tenant's message", () => {
  it('names the tenant, signed; the page starts from its defaults and says which state is whose', async () => {
    await user('pc-ada');
    await api('PUT', '/v1/users/pc-ada/preferences', { categories: { activity: { inapp: false } } });
    const welcome = await welcomeOf('pc-ada', await trial('pc-ada', 'acme'));
    const { url, token } = preferenceLinkIn(welcome);
    expect(runtime.deps.links.verifyPreferences(token, Date.now())).toMatchObject({ ok: true, claim: { userId: 'pc-ada', tenant: 'acme' } });

    const page = await (await fetch(url)).text();
    expect(page).toContain("Where you have not made a choice, Acme's defaults apply.");
    expect(toggles(page)).toMatchObject({
      'onboarding:email': { checked: true, source: 'default' },
      'onboarding:sms': { checked: false, source: "Acme's default" },
      'onboarding:push': { checked: true, source: "Acme's default" },
      'onboarding:inapp': { checked: true, source: 'default' },
      'activity:email': { checked: false, source: "Acme's default" },
      'activity:inapp': { checked: false, source: 'your choice' },
      'promotions:push': { checked: true, source: 'default' },
    });
    // Required categories keep their lock note, no source line.
    expect(page).toContain('Always on: you need these messages');
  });

  it('cannot be switched to another tenant by editing the URL; an untenanted (older) link keeps working on the category defaults', async () => {
    await user('pc-bob');
    const [payload, signature] = runtime.deps.links.preferences('pc-bob', Date.now(), { tenant: 'acme' }).split('.') as [string, string];
    const claim = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    const edited = Buffer.from(JSON.stringify({ ...claim, tenant: 'other' })).toString('base64url');
    const stripped = Buffer.from(JSON.stringify({ kind: 'preferences', userId: 'pc-bob', exp: claim.exp })).toString('base64url');
    for (const forged of [`${edited}.${signature}`, `${stripped}.${signature}`]) {
      const response = await fetch(`${runtime.url}/preferences/${forged}`);
      expect(response.status).toBe(400);
      expect(await response.text()).toContain('This link does not work');
    }

    // The untenanted link is the shape links had before tenants: same payload fields, no `tenant`.
    const plain = runtime.deps.links.preferences('pc-bob', Date.now());
    expect(JSON.parse(Buffer.from(plain.split('.')[0]!, 'base64url').toString('utf8'))).not.toHaveProperty('tenant');
    const page = await (await fetch(`${runtime.url}/preferences/${plain}`)).text();
    expect(page).not.toContain('defaults apply');
    expect(toggles(page)).toMatchObject({
      'onboarding:sms': { checked: true, source: 'default' },
      'onboarding:push': { checked: false, source: 'default' },
      'activity:email': { checked: true, source: 'default' },
    });
  });

  it('a tenant deleted since: the page shows the category defaults', async () => {
    await api('PUT', '/v1/tenants/gone', { name: 'Gone', defaultPreferences: { categories: { onboarding: { email: false } } } });
    await user('pc-gone');
    const url = link('pc-gone', 'gone');
    expect(toggles(await (await fetch(url)).text())['onboarding:email']).toEqual({ checked: false, source: "Gone's default" });
    await api('DELETE', '/v1/tenants/gone');
    const page = await (await fetch(url)).text();
    expect(page).not.toContain('defaults apply');
    expect(toggles(page)['onboarding:email']).toEqual({ checked: true, source: 'default' });
  });

  it('names a tenant without a name "your workspace"', async () => {
    await api('PUT', '/v1/tenants/nameless', { defaultPreferences: { categories: { promotions: { email: false } } } });
    await user('pc-nameless');
    const page = await (await fetch(link('pc-nameless', 'nameless'))).text();
    expect(toggles(page)['promotions:email']).toEqual({ checked: false, source: "your workspace's default" });
  });
});

describe("saving a tenant's page", () => {
  it('writes what the user changed and what was theirs, never an untouched tenant default; the next send agrees with the page', async () => {
    await api('PUT', '/v1/tenants/hush', { name: 'Hush', defaultPreferences: { categories: { onboarding: { email: false, sms: false } } } });
    await user('pc-cleo');
    await api('PUT', '/v1/users/pc-cleo/preferences', { categories: { activity: { push: true } } });

    // The tenant's default turns the welcome email off: the engine skips it, and the page shows it off, as Hush's.
    const skipped = await welcomeOf('pc-cleo', await trial('pc-cleo', 'hush'));
    expect(skipped).toMatchObject({ status: 'skipped', reason: 'preference' });
    const url = link('pc-cleo', 'hush');
    const before = await (await fetch(url)).text();
    expect(toggles(before)['onboarding:email']).toEqual({ checked: false, source: "Hush's default" });

    // The user turns the email on and saves the rest as shown.
    const saved = await post(url, formAsShown(before, ['onboarding:email']));
    expect(saved.status).toBe(303);
    expect(saved.headers.get('location')).toBe('?saved=1');
    const after = await (await fetch(`${url}?saved=1`)).text();
    expect(after).toContain('Your preferences are saved.');
    expect(toggles(after)).toMatchObject({
      'onboarding:email': { checked: true, source: 'your choice' },
      // Untouched, still the tenant's: not written as a choice that would follow the user to other workspaces.
      'onboarding:sms': { checked: false, source: "Hush's default" },
      'activity:push': { checked: true, source: 'your choice' },
      // Shown at the category default and saved: a choice, as the preference center always did.
      'activity:email': { checked: true, source: 'your choice' },
    });
    const choices = await stored('pc-cleo');
    expect(choices.onboarding!.channels).toMatchObject({ email: { allowed: true, rule: 'opted-in' }, sms: { allowed: true, rule: 'category-default' } });

    // The next run of the tenant sends the welcome: the user's choice now wins over Hush's default.
    const sent = await welcomeOf('pc-cleo', await trial('pc-cleo', 'hush'));
    expect(sent.status).toBe('sent');
    expect(preferenceLinkIn(sent).url).toBeTruthy();
  });
});

describe("unsubscribing from a tenant's message", () => {
  it("lands on the preference center of the message's tenant", async () => {
    await user('pc-dan');
    const welcome = await welcomeOf('pc-dan', await trial('pc-dan', 'acme'));
    expect(welcome.status).toBe('sent');
    const token = runtime.deps.links.unsubscribe({ userId: 'pc-dan', category: 'onboarding', channel: 'email', messageId: welcome.id }, Date.now());
    const unsubscribe = `${runtime.url}/unsubscribe/${token}`;
    const fromPage = await post(unsubscribe, [
      ['List-Unsubscribe', 'One-Click'],
      ['source', 'page'],
    ]);
    expect(fromPage.status).toBe(303);
    const landed = await fetch(new URL(fromPage.headers.get('location')!, unsubscribe));
    const page = await landed.text();
    expect(page).toContain('You are unsubscribed from <strong>Tips for getting started during your trial</strong> by email.');
    expect(page).toContain("Acme's defaults apply");
    expect(toggles(page)).toMatchObject({
      'onboarding:email': { checked: false, source: 'your choice' },
      'onboarding:sms': { checked: false, source: "Acme's default" },
    });
  });
});

describe("a tenant's preference center in Chromium", () => {
  it("shows whose each state is, and saves a keyboard change as the user's choice, without JavaScript", async () => {
    browser = await launchChromium(await ensureChromium());
    const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 390, height: 844 }, deviceScaleFactor: 2 });
    await user('pc-eve');
    const page = await context.newPage();
    expect((await page.goto(link('pc-eve', 'acme')))!.status()).toBe(200);
    const box = await page.locator('main').boundingBox();
    expect(box!.x + box!.width).toBeLessThanOrEqual(390);

    const onboarding = page.getByRole('group', { name: 'Onboarding' });
    const sms = onboarding.getByRole('checkbox', { name: 'SMS' });
    expect(await sms.isChecked()).toBe(false);
    expect(await sms.getAttribute('aria-describedby').then((id) => page.locator(`#${id}`).innerText())).toBe("Acme's default");
    expect(await page.getByRole('group', { name: 'Activity' }).getByText("Acme's default").count()).toBe(1);
    mkdirSync(fileURLToPath(new URL('../artifacts/', import.meta.url)), { recursive: true });
    await page.screenshot({ path: fileURLToPath(new URL('../artifacts/preferences-tenant.png', import.meta.url)), fullPage: true });

    await sms.focus();
    await page.keyboard.press('Space');
    await Promise.all([page.waitForURL(/\?saved=1$/), page.getByRole('button', { name: 'Save preferences' }).click()]);
    expect(await page.getByRole('status').innerText()).toBe('Your preferences are saved.');
    const saved = page.getByRole('group', { name: 'Onboarding' }).getByRole('checkbox', { name: 'SMS' });
    expect(await saved.isChecked()).toBe(true);
    expect(await saved.getAttribute('aria-describedby').then((id) => page.locator(`#${id}`).innerText())).toBe('your choice');
    expect((await stored('pc-eve')).onboarding!.channels.sms).toEqual({ allowed: true, rule: 'opted-in' });
    await context.close();
  }, 900_000);
});
