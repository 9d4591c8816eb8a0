/**
 * Layouts, partials and brand() composed at build time: the bundle carries the resolved content (the runtime needs
 * nothing new) and, per template, what it was composed from; a layout's or partial's variables are checked against
 * each template that brings it in, at the layout's or partial's own line.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { collectPreviews } from '../../compiler/preview/collect.ts';
import { brief, buildTree, removeTree } from '../setup/tree.ts';

const CATALOGUE = `
import { brand, event, layout, partial, provider, settings, template, z } from 'herald';

export const trialStarted = event('trial_started', {
  schema: z.object({ first_name: z.string(), plan_type: z.enum(['free', 'pro']) }),
  examples: [{ first_name: 'Ada', plan_type: 'pro' }],
});
export const orderShipped = event('order_shipped', {
  schema: z.object({ order_id: z.string() }),
  examples: [{ order_id: 'A-1' }],
});
export const emailProvider = provider('sandbox-email', { channel: 'email', kind: 'sandbox' });
export const smsProvider = provider('sandbox-sms', { channel: 'sms', kind: 'sandbox' });
export const acme = brand('acme', { name: 'Acme', postalAddress: '1 Main St, Springfield', colors: { primary: '#0a66c2' } });
`;

const VALID = `${CATALOGUE}
export const legalFooter = partial('legal-footer', {
  html: '<p>{{brand.name}}, {{brand.postalAddress}} <a href="{{unsubscribe_url}}">Unsubscribe</a></p>',
  text: '{{brand.name}}, {{brand.postalAddress}}. Unsubscribe: {{unsubscribe_url}}',
});
export const signOff = partial('sign-off', { html: '<p>The {{brand.name}} team</p>{{> legal-footer}}', text: 'The {{brand.name}} team\\n{{> legal-footer}}' });
export const greeting = partial('greeting', { html: '<h1>Hi {{first_name}}</h1>', text: 'Hi {{first_name}}' });
const defaultLayout = layout('default', {
  html: '<html><body style="color:{{brand.colors.primary}}">{{{content}}}{{> sign-off}}</body></html>',
  text: '{{{ content }}}\\n\\n{{> sign-off}}',
});
export default settings({ brand: acme, layouts: { email: defaultLayout } });

export const welcome = template('welcome', {
  data: trialStarted,
  email: { subject: 'Welcome {{first_name}}', html: '{{> greeting}}<p>Your {{plan_type}} plan</p>' },
  sms: { body: '{{> greeting}}, reply STOP to opt out' },
  locales: { fr: { email: { subject: 'Bienvenue', html: '<p>Bonjour {{first_name}}</p>' } } },
});
export const shipped = template('shipped', {
  data: orderShipped,
  email: { subject: 'Order {{order_id}}', html: '<p>Shipped: {{order_id}}</p>', text: 'Shipped: {{order_id}}' },
});
export const receipt = template('receipt', {
  data: orderShipped,
  layout: false,
  email: { subject: 'Receipt {{order_id}}', text: 'Receipt for {{order_id}}' },
});
// Its {{{content}}} marker is in a partial it brings in: counted with its partials expanded, as composition does.
export const framedBody = partial('framed-body', { html: '<main>{{{content}}}</main>' });
export const framed = layout('framed', { html: '<html>{{> framed-body}}</html>' });
`;

const BROKEN = `${CATALOGUE}
export const orderLine = partial('order-line', {
  html: '<p>Order {{order_id}}</p>',
  text: 'Order {{order_id}}',
});
export const pingA = partial('ping-a', { text: 'a {{> ping-b}}' });
export const pingB = partial('ping-b', { text: 'b {{> ping-a}}' });
export const noContent = layout('no-content', { html: '<html><body>{{brand.name}}</body></html>' });
export default settings({ brand: acme });

export const shipped = template('shipped', {
  data: orderShipped,
  email: { subject: 'Shipped', html: '{{> order-line}}' },
});
export const welcome = template('welcome', {
  data: trialStarted,
  email: { subject: 'Hi', html: '{{> order-line}} {{> order-lines}}' },
  sms: { body: '{{> ping-a}}' },
});
export const bodyAgain = partial('body-again', { html: '<p>{{{content}}}</p>' });
export const twoBodies = layout('two-bodies', { html: '<html>{{{content}}}{{> body-again}}</html>' });
`;

afterAll(() => {
  removeTree('layouts-valid');
  removeTree('layouts-broken');
});

describe('layouts, partials and brand at build time', () => {
  it('puts the resolved content in the bundle, and what each template was composed from', async () => {
    const { bundle, diagnostics } = await buildTree('layouts-valid', { 'index.ts': VALID });
    expect(diagnostics.map(brief)).toEqual([]);
    const footerHtml = '<p>The {{brand.name}} team</p><p>{{brand.name}}, {{brand.postalAddress}} <a href="{{unsubscribe_url}}">Unsubscribe</a></p>';
    const welcome = bundle!.templates.welcome!;
    expect(welcome.content.email?.html).toBe(
      `<html><body style="color:{{brand.colors.primary}}"><h1>Hi {{first_name}}</h1><p>Your {{plan_type}} plan</p>${footerHtml}</body></html>`,
    );
    // No text written: generated from the composed html, the footer's link kept.
    expect(welcome.content.email?.text).toContain('{{unsubscribe_url}}');
    expect(welcome.content.sms).toEqual({ body: 'Hi {{first_name}}, reply STOP to opt out' });
    // The variant's own html is wrapped in the same layout, and gets its own generated text.
    expect(welcome.locales.fr?.email?.html).toBe(`<html><body style="color:{{brand.colors.primary}}"><p>Bonjour {{first_name}}</p>${footerHtml}</body></html>`);
    expect(welcome.locales.fr?.email?.text).toContain('Bonjour {{first_name}}');
    expect(welcome.composedFrom?.layout).toEqual({ id: 'default', digest: expect.stringMatching(/^[0-9a-f]{16}$/) });
    expect(welcome.composedFrom?.partials?.map((p) => p.id)).toEqual(['greeting', 'legal-footer', 'sign-off']);

    expect(bundle!.templates.shipped!.content.email?.text).toBe(
      'Shipped: {{order_id}}\n\nThe {{brand.name}} team\n{{brand.name}}, {{brand.postalAddress}}. Unsubscribe: {{unsubscribe_url}}',
    );
    // `layout: false`, no partial: the template as written, with no composedFrom (older bundles keep their bytes).
    expect(bundle!.templates.receipt).toEqual({
      id: 'receipt',
      event: 'order_shipped',
      content: { email: { subject: 'Receipt {{order_id}}', text: 'Receipt for {{order_id}}' } },
      locales: {},
    });
    // `herald preview` renders the resolved content: inside the layout, with the brand, in every locale.
    const preview = collectPreviews(bundle!, { publicUrl: 'https://herald.example.com' }).find((t) => t.id === 'welcome')!;
    for (const locale of preview.locales) {
      const email = locale.examples[0]!.channels.find((c) => c.channel === 'email');
      expect(email?.ok && (email.content as { html: string }).html).toMatch(
        /^<html><body style="color:#0a66c2">.*<p>Acme, 1 Main St, Springfield <a href="https:/,
      );
    }
    expect(preview.locales.map((l) => l.locale)).toEqual([null, 'fr']);
    // brand() is plain values in the bundle, as a plain object was.
    expect(bundle!.settings.brand).toEqual({ name: 'Acme', postalAddress: '1 Main St, Springfield', colors: { primary: '#0a66c2' } });
  });

  it('checks a partial against each template that brings it in, and refuses unknown and circular partials and layouts without exactly one body', async () => {
    const { bundle, diagnostics } = await buildTree('layouts-broken', { 'index.ts': BROKEN });
    expect(bundle).toBeNull();
    // Without hints (the list of known variables grows with the runtime's built-ins); the did-you-mean below.
    expect(diagnostics.map((d) => brief({ ...d, hint: '' }))).toEqual([
      'index.ts:17 template-unknown-variable: partial "order-line" (html), brought in by template "welcome" (email.html): unknown variable "order_id": not a field of event "trial_started", nor of the user profile',
      'index.ts:21 circular-partial: partial "ping-b" (text), brought in by template "welcome" (sms.body): partials include each other in a circle: ping-a → ping-b → ping-a',
      'index.ts:22 invalid-definition: the html of layout "no-content" has no {{{content}}} marker',
      'index.ts:31 unknown-reference: template "welcome", email.html: unknown partial "order-lines"',
      'index.ts:35 invalid-definition: the html of layout "two-bodies" has 2 {{{content}}} markers',
    ]);
    expect(diagnostics.find((d) => d.code === 'unknown-reference')?.hint).toBe('did you mean "order-line"?');
    // At the partial's line, and the column of the variable inside it.
    expect(diagnostics[0]).toMatchObject({ line: 17, column: 21 });
  });
});
