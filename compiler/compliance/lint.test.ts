/** The compliance rules over small hand-built bundles: each rule fires, cites its source, and stays quiet when met. */
import { describe, expect, it } from 'vitest';
import type { Category, SendWindow, Template, Workflow } from '../bundle/schema.ts';
import { lintBundle } from './lint.ts';
import { findingKey } from './rules.ts';
import type { LintInput } from './sites.ts';

const FOOTER = 'Unsubscribe: {{unsubscribe_url}} · {{brand.postalAddress}}';
const category = (id: string, extra: Partial<Category> = {}): Category => ({ id, description: id, defaultChannels: ['email'], required: false, ...extra });
const template = (id: string, content: Template['content'], locales: Template['locales'] = {}): Template => ({ id, event: 'e', content, locales });
const flow = (id: string, cat: string | undefined, channels: ('email' | 'sms')[], extra: { window?: SendWindow; critical?: boolean } = {}): Workflow => ({
  id,
  trigger: { type: 'event', event: 'e' },
  ...(cat === undefined ? {} : { category: cat }),
  cancelOn: [],
  steps: [
    {
      id: 'send',
      kind: 'send',
      template: id,
      routing: { method: 'single', channels, strategy: 'ordered' },
      critical: extra.critical ?? false,
      ...(extra.window ? { window: extra.window } : {}),
    },
  ],
});
const bundle = (templates: Template[], workflows: Workflow[], categories: Category[]): LintInput => ({
  settings: { retentionMs: 1, brand: { postalAddress: '1 Example Street, Springfield' } },
  templates: Object.fromEntries(templates.map((t) => [t.id, t])),
  workflows: Object.fromEntries(workflows.map((w) => [w.id, w])),
  categories: Object.fromEntries(categories.map((c) => [c.id, c])),
});
/** `rule subject` in one line (the diff's identity of a finding). */
const rules = (input: LintInput) => lintBundle(input).map((f) => findingKey(f).replace(/\s+/g, ' ').trim());
const userWindow: SendWindow = { days: [1, 2, 3, 4, 5, 6, 7], startMinute: 9 * 60, endMinute: 20 * 60, timezone: 'user' };

describe('email in a category users can opt out of', () => {
  it('wants an unsubscribe link and a postal address in each part, and cites CAN-SPAM', () => {
    const t = template('news', { email: { subject: 'News', html: '<p>Hi</p>', text: `Hi\n${FOOTER}` } });
    const found = lintBundle(bundle([t], [flow('news', 'news', ['email'])], [category('news')]));
    expect(found.map((f) => `${f.rule}: ${f.message}`)).toEqual([
      'compliance-unsubscribe: CAN-SPAM §7704(a)(3), (a)(5)(A)(ii): template "news" is sent by email in category "news" (workflow "news" step "send"), which users can opt out of, but its email.html carries no unsubscribe link',
      'compliance-postal-address: CAN-SPAM §7704(a)(5)(A)(iii): template "news" is sent by email in category "news" (workflow "news" step "send"), which users can opt out of, but its email.html carries no postal address',
    ]);
    expect(found[0]!.subject).toEqual({ kind: 'template', id: 'news', path: ['email', 'html'] });
  });

  it('is met by {{preferences_url}} and the brand address written out, and not asked of required or uncategorised sends', () => {
    const ok = template('a', { email: { subject: 'A', html: '<a href="{{{preferences_url}}}">prefs</a> 1 Example   Street, Springfield' } });
    const bare = template('b', { email: { subject: 'B', text: 'Your receipt' } });
    const none = template('c', { email: { subject: 'C', text: 'Welcome' } });
    expect(
      rules(
        bundle(
          [ok, bare, none],
          [flow('a', 'news', ['email']), flow('b', 'receipts', ['email']), flow('c', undefined, ['email'])],
          [category('news'), category('receipts', { required: true })],
        ),
      ),
    ).toEqual([]);
  });

  it('lints a locale variant on the fields it overrides only', () => {
    const t = template(
      'news',
      { email: { subject: 'News', text: `Hi ${FOOTER}` } },
      { fr: { email: { subject: 'Nouvelles', text: 'Salut' } }, de: { email: { subject: 'Neues' } } },
    );
    expect(rules(bundle([t], [flow('news', 'news', ['email'])], [category('news')]))).toEqual([
      'compliance-unsubscribe template news fr email',
      'compliance-postal-address template news fr email',
    ]);
  });
});

describe('marketing SMS', () => {
  const promo = category('promo', { marketing: true });

  it('wants opt-out wording and a window in the recipient time zone inside 08:00-21:00', () => {
    const t = template('deal', { sms: { body: 'Half price today only' } });
    expect(rules(bundle([t], [flow('deal', 'promo', ['sms'])], [promo]))).toEqual([
      'compliance-sms-opt-out template deal sms',
      'compliance-sms-window step deal send',
    ]);
    const late: SendWindow = { ...userWindow, endMinute: 22 * 60 };
    const paris: SendWindow = { ...userWindow, timezone: 'Europe/Paris' };
    const messages = (w: SendWindow) => lintBundle(bundle([t], [flow('deal', 'promo', ['sms'], { window: w })], [promo])).map((f) => f.message);
    expect(messages(late)).toContain(
      'TCPA 47 CFR §64.1200(c)(1): workflow "deal" step "send" sends a marketing SMS (category "promo") in a window 09:00-22:00 that reaches outside 08:00-21:00 local time',
    );
    expect(messages(paris).some((m) => m.includes("in a window read in Europe/Paris, not in the recipient's time zone"))).toBe(true);
  });

  it('is met by "reply stop" in any case and a user window; a non-marketing SMS needs neither', () => {
    const t = template('deal', { sms: { body: 'Half price today. Reply stop to opt out' } });
    expect(rules(bundle([t], [flow('deal', 'promo', ['sms'], { window: userWindow })], [promo]))).toEqual([]);
    const plain = template('code', { sms: { body: 'Your code' } });
    expect(rules(bundle([plain], [flow('code', 'news', ['sms'])], [category('news')]))).toEqual([]);
  });
});

describe('required and critical sends', () => {
  it('flags a category both required and marketing, and a critical send in a marketing category', () => {
    const t = template('x', { sms: { body: 'Reply STOP' } });
    const found = lintBundle(
      bundle([t], [flow('x', 'both', ['sms'], { critical: true, window: userWindow })], [category('both', { required: true, marketing: true })]),
    );
    expect(found.map((f) => f.message)).toEqual([
      'CAN-SPAM 16 CFR §316.3 (primary purpose): category "both" is both required (users cannot opt out) and marketing',
      'CAN-SPAM 16 CFR §316.3 (primary purpose): workflow "x" step "send" is critical (it ignores preferences) in marketing category "both"',
    ]);
  });
});

describe('lengths, measured with variables as written', () => {
  it('flags a subject over 78 characters and an SMS over 3 segments, with the measured length', () => {
    const t = template('long', {
      email: { subject: `${'x'.repeat(70)} {{first_name}}` },
      sms: { body: 'a'.repeat(459) },
    });
    const gsm = template('gsm', { sms: { body: 'a'.repeat(460) } });
    const ucs = template('ucs', { sms: { body: `👋${'a'.repeat(200)}` } });
    const messages = lintBundle(bundle([t, gsm, ucs], [], [])).map((f) => f.message);
    expect(messages).toEqual([
      '3GPP TS 23.040 (concatenated SMS): template "gsm": the SMS is 4 segments (460 GSM-7 characters, variables counted as written), over 3',
      'RFC 5322 §2.1.1: template "long": the email subject is 85 characters (variables counted as written), over 78',
      '3GPP TS 23.040 (concatenated SMS): template "ucs": the SMS is 4 segments (202 UCS-2 characters, variables counted as written), over 3',
    ]);
  });
});
