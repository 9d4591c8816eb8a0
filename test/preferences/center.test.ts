/**
 * The hosted preference center over HTTP: the signed `{{preferences_url}}` a message carries, the toggles it
 * renders (locked required categories, non-default channels off unless opted in), refused forged, expired and
 * wrong-kind links, a POST that saves exactly the toggles shown, a crafted POST that cannot opt out of a
 * required category, escaping, and the unsubscribe page's redirect here (the RFC 8058 one-click POST keeps
 * its plain 200). The browser side is in browser.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sealBundle } from '../../compiler/bundle/canonical.ts';
import type { Bundle } from '../../compiler/bundle/schema.ts';
import { PREFERENCES_LINK_TTL_MS } from '../../runtime/render/index.ts';
import type { Runtime } from '../../runtime/server.ts';
import { client, eventually, exampleBundle, messagesOf, shorten, startTestRuntime, type Api } from '../runtime/harness.ts';

const XSS = '<script>alert("x")</script>';

let runtime: Runtime;
let api: Api;

/** The example bundle, with markup in a category description (it must show as text). */
function withMarkup(bundle: Bundle): Bundle {
  const { version: _v, formatVersion: _f, ...content } = bundle;
  return sealBundle({
    ...content,
    categories: { ...content.categories, activity: { ...content.categories.activity!, description: `Comments & replies ${XSS}` } },
  });
}

beforeAll(async () => {
  runtime = await startTestRuntime('preference_center', { bundle: withMarkup(shorten(await exampleBundle())) });
  api = client(runtime);
}, 60_000);

afterAll(async () => {
  await runtime?.stop();
});

const link = (userId: string, now = Date.now()) => `${runtime.url}/preferences/${runtime.deps.links.preferences(userId, now)}`;

async function user(id: string, extra: Record<string, unknown> = {}) {
  await api('PUT', `/v1/users/${id}`, { email: `${id}@example.com`, phone_number: '+15550001111', ...extra });
}

type Rule = { allowed: boolean; rule: string };
async function preferences(userId: string) {
  const r = await api<{ categories: Record<string, { channels: Record<string, Rule> }> }>('GET', `/v1/users/${userId}/preferences`);
  return r.body.categories;
}

/** Every checkbox of a page, by its value (or id, for the locked ones), with the attributes the page gave it. */
function checkboxes(page: string) {
  const found: Record<string, { checked: boolean; disabled: boolean; id: string }> = {};
  for (const [tag] of page.matchAll(/<input type="checkbox"[^>]*>/g)) {
    const attr = (name: string) => new RegExp(`\\s${name}(?:="([^"]*)")?[\\s/>]`).exec(tag);
    const id = attr('id')![1]!;
    const value = attr('value')?.[1];
    expect(page, `a label for #${id}`).toContain(`<label for="${id}">`);
    found[value ?? id] = { checked: attr('checked') !== null, disabled: attr('disabled') !== null, id };
  }
  return found;
}

async function post(url: string, fields: [string, string][], headers: Record<string, string> = {}) {
  return fetch(url, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields).toString(),
  });
}

/** What the page posts when the user saves with `on` checked among the toggles of `categories`. */
function formFor(categories: Record<string, string[]>, on: string[]): [string, string][] {
  const fields: [string, string][] = [];
  for (const [category, channels] of Object.entries(categories)) for (const channel of channels) fields.push(['shown', `${category}:${channel}`]);
  for (const toggle of on) fields.push(['on', toggle]);
  return fields;
}
const ALL = ['email', 'sms', 'push', 'inapp'];

describe('the preference link in messages', () => {
  it('renders {{preferences_url}} as a signed link to this user’s page that expires in 30 days', async () => {
    await user('linked');
    const before = Date.now();
    await api('POST', '/v1/events', { event: 'trial_started', userId: 'linked', properties: { first_name: 'Ada', plan_type: 'pro' } });
    const welcome = await eventually('the welcome email', async () =>
      (await messagesOf(api, 'linked')).find((m) => m.step === 'welcome' && m.status === 'sent'),
    );
    const text = String(welcome.content!.text);
    const url = new RegExp(`${runtime.deps.publicUrl}/preferences/([\\w-]+\\.[\\w-]+)`).exec(text);
    expect(url, text).not.toBeNull();
    expect(String(welcome.content!.html)).toContain(`href="${url![0]}"`);
    const verified = runtime.deps.links.verifyPreferences(url![1]!, Date.now());
    expect(verified).toMatchObject({ ok: true, claim: { kind: 'preferences', userId: 'linked' } });
    const exp = verified.ok ? verified.claim.exp : 0;
    expect(exp).toBeGreaterThanOrEqual(before + PREFERENCES_LINK_TTL_MS);
    expect(exp).toBeLessThanOrEqual(Date.now() + PREFERENCES_LINK_TTL_MS);
    expect(PREFERENCES_LINK_TTL_MS).toBe(30 * 86_400_000);

    const page = await fetch(url![0].replace(runtime.deps.publicUrl, runtime.url));
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Notification preferences');
  });
});

describe('GET /preferences/:token', () => {
  it('shows every category × channel as the engine resolves it, required categories locked', async () => {
    await user('viewer');
    // An explicit opt-in to a channel that is not the category's default, and an opt-out of a default one.
    await api('PUT', '/v1/users/viewer/preferences', { categories: { promotions: { sms: true }, onboarding: { email: false } } });
    const response = await fetch(link('viewer'));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    const page = await response.text();
    const boxes = checkboxes(page);
    const state = (key: string) => ({ checked: boxes[key]!.checked, disabled: boxes[key]!.disabled });

    // onboarding: defaults email, sms, inapp — email opted out here.
    expect(state('onboarding:email')).toEqual({ checked: false, disabled: false });
    expect(state('onboarding:sms')).toEqual({ checked: true, disabled: false });
    expect(state('onboarding:push')).toEqual({ checked: false, disabled: false });
    expect(state('onboarding:inapp')).toEqual({ checked: true, disabled: false });
    // promotions: defaults email, push; SMS opted in, in-app not a default.
    expect(state('promotions:sms')).toEqual({ checked: true, disabled: false });
    expect(state('promotions:inapp')).toEqual({ checked: false, disabled: false });
    expect(state('activity:push')).toEqual({ checked: false, disabled: false });

    // The page agrees with the engine's rule for every category and channel.
    const resolved = await preferences('viewer');
    const categories = Object.keys(resolved);
    const locked = Object.values(boxes).filter((b) => b.disabled);
    expect(locked).toHaveLength(2 * ALL.length);
    expect(locked.every((b) => b.checked)).toBe(true);
    for (const [category, { channels }] of Object.entries(resolved)) {
      for (const [channel, { allowed, rule }] of Object.entries(channels)) {
        if (rule === 'required') continue;
        expect(boxes[`${category}:${channel}`]!.checked, `${category}:${channel}`).toBe(allowed);
      }
    }
    // A fieldset and legend per category; a description, and for required ones the reason they are locked.
    expect(page.match(/<fieldset/g)).toHaveLength(categories.length);
    expect(page.match(/<legend>/g)).toHaveLength(categories.length);
    expect(page).toContain('<legend>Security</legend>');
    expect(page).toContain('Sign-in codes and account security alerts');
    expect(page.match(/cannot be turned off/g)).toHaveLength(2);
    // Locked toggles are never posted, so there is nothing for a save to change.
    expect(page).not.toContain('value="security:');
    expect(page).toContain('<button type="submit">Save preferences</button>');
    expect(page).not.toMatch(/<script|https?:\/\/(?!localhost)/);
  });

  it('escapes descriptions and traits: markup shows as text', async () => {
    await user('marked', { traits: { name: `Eve ${XSS}` } });
    const page = await (await fetch(link('marked'))).text();
    expect(page).not.toContain('<script');
    expect(page).toContain('Comments &amp; replies &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(page).toContain('For <strong>Eve &lt;script&gt;');
  });

  it('refuses forged, expired, malformed and wrong-kind links with one page that reveals nothing', async () => {
    await user('target');
    const good = link('target');
    const token = good.slice(good.lastIndexOf('/') + 1);
    const [payload] = token.split('.');
    const otherUser = Buffer.from(JSON.stringify({ kind: 'preferences', userId: 'someone-else', exp: Date.now() + 1e9 })).toString('base64url');
    const unsubscribe = runtime.deps.links.unsubscribe({ userId: 'target', category: 'onboarding', channel: 'email', messageId: null }, Date.now());
    const bad = {
      forged: `${payload}.${'A'.repeat(43)}`,
      'payload swapped': `${otherUser}.${token.split('.')[1]}`,
      expired: runtime.deps.links.preferences('target', Date.now() - PREFERENCES_LINK_TTL_MS - 1_000),
      malformed: 'not-a-token',
      'an unsubscribe link': unsubscribe,
    };
    const pages = new Set<string>();
    for (const [what, t] of Object.entries(bad)) {
      const response = await fetch(`${runtime.url}/preferences/${t}`);
      expect(response.status, what).toBe(400);
      const page = await response.text();
      expect(page, what).toContain('This link does not work');
      expect(page, what).not.toMatch(/target|signature|expired link|<input/);
      pages.add(page);
      const posted = await post(`${runtime.url}/preferences/${t}`, formFor({ onboarding: ALL }, []));
      expect(posted.status, what).toBe(400);
    }
    expect(pages.size).toBe(1);
    expect(JSON.stringify(await preferences('target'))).not.toContain('opted-out');
  });

  it('shows an unsubscribed notice only when it is true', async () => {
    await user('noticed');
    const url = link('noticed');
    expect(await (await fetch(`${url}?unsubscribed=promotions&channel=sms`)).text()).not.toContain('You are unsubscribed');
    await api('PUT', '/v1/users/noticed/preferences', { categories: { promotions: { sms: false } } });
    expect(await (await fetch(`${url}?unsubscribed=promotions&channel=sms`)).text()).toContain(
      'You are unsubscribed from <strong>Reminders about your cart and offers</strong> by SMS.',
    );
    expect(await (await fetch(`${url}?unsubscribed=nope&channel=sms`)).text()).not.toContain('You are unsubscribed');
  });

  it('answers the bare /preferences (direct recipients) with a page that asks for the link', async () => {
    const response = await fetch(`${runtime.url}/preferences`);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('personal link');
  });
});

describe('POST /preferences/:token', () => {
  it('saves exactly the toggles shown: checked opts in, unchecked opts out, nothing else changes', async () => {
    await user('saver');
    const url = link('saver');
    const response = await post(url, [
      ...formFor({ onboarding: ALL, promotions: ['push'] }, ['onboarding:email', 'onboarding:push']),
      // Checked but not shown (not a toggle of this page): ignored.
      ['on', 'activity:sms'],
    ]);
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('?saved=1');

    const after = await preferences('saver');
    expect(after.onboarding!.channels).toEqual({
      email: { allowed: true, rule: 'opted-in' },
      sms: { allowed: false, rule: 'opted-out' },
      push: { allowed: true, rule: 'opted-in' },
      inapp: { allowed: false, rule: 'opted-out' },
    });
    expect(after.promotions!.channels.push).toEqual({ allowed: false, rule: 'opted-out' });
    expect(after.promotions!.channels.email).toEqual({ allowed: true, rule: 'category-default' });
    expect(after.activity!.channels.sms).toEqual({ allowed: false, rule: 'not-a-default-channel' });

    const page = await (await fetch(new URL('?saved=1', url))).text();
    expect(page).toContain('Your preferences are saved.');
    expect(checkboxes(page)['onboarding:push']!.checked).toBe(true);
  });

  it('saves what the page itself posts when nothing is changed, leaving every decision as it was', async () => {
    await user('unchanged');
    const url = link('unchanged');
    const before = await preferences('unchanged');
    const boxes = checkboxes(await (await fetch(url)).text());
    const shown = Object.entries(boxes).filter(([, b]) => !b.disabled);
    const fields: [string, string][] = [
      ...shown.map(([key]): [string, string] => ['shown', key]),
      ...shown.filter(([, b]) => b.checked).map(([key]): [string, string] => ['on', key]),
    ];
    expect((await post(url, fields)).status).toBe(303);
    const after = await preferences('unchanged');
    for (const [category, { channels }] of Object.entries(after)) {
      for (const [channel, { allowed }] of Object.entries(channels))
        expect(allowed, `${category}:${channel}`).toBe(before[category]!.channels[channel]!.allowed);
    }
  });

  it('never opts out of a required category: a crafted POST is refused and changes nothing', async () => {
    await user('crafty');
    const url = link('crafty');
    const crafted = await post(url, formFor({ onboarding: ['sms'], security: ['sms', 'email'] }, []));
    expect(crafted.status).toBe(400);
    const page = await crafted.text();
    expect(page).toContain('<strong>Sign-in codes and account security alerts</strong> cannot be turned off. Nothing was changed.');
    const after = await preferences('crafty');
    expect(after.security!.channels.sms).toEqual({ allowed: true, rule: 'required' });
    expect(after.security!.channels.email).toEqual({ allowed: true, rule: 'required' });
    // The same post's other toggle was not saved either.
    expect(after.onboarding!.channels.sms).toEqual({ allowed: true, rule: 'category-default' });

    // The API refuses the same thing with the same rule.
    const viaApi = await api<{ error: { code: string; message: string } }>('PUT', '/v1/users/crafty/preferences', {
      categories: { transactional: { email: false } },
    });
    expect(viaApi.status).toBe(400);
    expect(viaApi.body.error).toMatchObject({ code: 'invalid_request', message: 'category "transactional" is required and cannot be opted out of (email)' });
  });

  it('refuses a malformed form, and ignores toggles of categories the bundle no longer has', async () => {
    await user('odd');
    const url = link('odd');
    expect((await post(url, [['shown', 'onboarding:fax']])).status).toBe(400);
    expect(
      (
        await post(url, [
          ['shown', 'gone:sms'],
          ['shown', 'onboarding:sms'],
        ])
      ).status,
    ).toBe(303);
    expect((await preferences('odd')).onboarding!.channels.sms).toEqual({ allowed: false, rule: 'opted-out' });
  });
});

describe('unsubscribing from a browser lands on the preference center', () => {
  it('redirects the page’s button (and any HTML client) with a notice; the one-click POST keeps its 200', async () => {
    await user('unsub');
    const token = runtime.deps.links.unsubscribe({ userId: 'unsub', category: 'onboarding', channel: 'email', messageId: null }, Date.now());
    const unsubscribe = `${runtime.url}/unsubscribe/${token}`;
    const form = await (await fetch(unsubscribe)).text();
    expect(form).toContain('name="source" value="page"');

    const fromPage = await post(unsubscribe, [
      ['List-Unsubscribe', 'One-Click'],
      ['source', 'page'],
    ]);
    expect(fromPage.status).toBe(303);
    const location = fromPage.headers.get('location')!;
    expect(location).toMatch(/^\.\.\/preferences\/[\w-]+\.[\w-]+\?unsubscribed=onboarding&channel=email$/);
    const landed = await fetch(new URL(location, unsubscribe));
    expect(landed.url).toMatch(new RegExp(`^${runtime.url}/preferences/`));
    const page = await landed.text();
    expect(page).toContain('You are unsubscribed from <strong>Tips for getting started during your trial</strong> by email.');
    expect(checkboxes(page)['onboarding:email']!.checked).toBe(false);

    const html = await post(unsubscribe, [['List-Unsubscribe', 'One-Click']], { accept: 'text/html,application/xhtml+xml' });
    expect(html.status).toBe(303);

    const oneClick = await post(unsubscribe, [['List-Unsubscribe', 'One-Click']]);
    expect(oneClick.status).toBe(200);
    expect(oneClick.headers.get('location')).toBeNull();
    const multipart = new FormData();
    multipart.set('List-Unsubscribe', 'One-Click');
    const oneClickMultipart = await fetch(unsubscribe, { method: 'POST', body: multipart, redirect: 'manual' });
    expect(oneClickMultipart.status).toBe(200);
  });
});
