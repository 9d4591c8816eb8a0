/**
 * An email written in MJML builds to a bundle holding compiled HTML and a generated plain text (the runtime
 * needs no MJML). An MJML mistake at its line of the template's file: test/fixtures/mjml-error (fixtures.test.ts).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { brief, buildTree, removeTree } from '../setup/tree.ts';

const CATALOGUE = `
import { event, partial, provider, template, z } from 'herald';

export const trialStarted = event('trial_started', {
  schema: z.object({ first_name: z.string(), plan_type: z.enum(['free', 'pro']), vip: z.boolean() }),
  examples: [{ first_name: 'Ada', plan_type: 'pro', vip: true }],
});
export const emailProvider = provider('sandbox-email', { channel: 'email', kind: 'sandbox' });
export const legalFooter = partial('legal-footer', { html: 'Acme, 1 Main St · <a href="{{unsubscribe_url}}">Unsubscribe</a>' });
`;

const VALID = `${CATALOGUE}
export const welcome = template('welcome', {
  data: trialStarted,
  email: {
    subject: 'Welcome {{first_name}}',
    mjml: \`<mjml>
  <mj-body>
    <mj-section><mj-column>
      <mj-text><h1>Hi {{first_name}}</h1><p>Your {{plan_type}} trial has started.</p></mj-text>
      <mj-button href="{{preferences_url}}">Your settings</mj-button>
    </mj-column></mj-section>
    {{#if vip}}<mj-section><mj-column><mj-text>A gift for you</mj-text></mj-column></mj-section>{{/if}}
    <mj-section><mj-column><mj-text>{{> legal-footer}}</mj-text></mj-column></mj-section>
  </mj-body>
</mjml>\`,
  },
});
`;

afterAll(() => removeTree('mjml-valid'));

describe('MJML email bodies', () => {
  it('builds to html and a generated text; the bundle holds no MJML', async () => {
    const { bundle, diagnostics } = await buildTree('mjml-valid', { 'index.ts': VALID });
    expect(diagnostics.map(brief)).toEqual([]);
    const email = bundle!.templates.welcome!.content.email!;
    expect(Object.keys(email).sort()).toEqual(['html', 'subject', 'text']);
    expect(email.html).toMatch(/^<!doctype html>/i);
    expect(email.html).toContain('<table');
    expect(email.html).not.toContain('<mj-');
    for (const tag of ['{{first_name}}', 'href="{{preferences_url}}"', '{{#if vip}}', '{{/if}}', 'href="{{unsubscribe_url}}"'])
      expect(email.html).toContain(tag);
    expect(email.text).toBe(
      'HI {{first_name}}\n\nYour {{plan_type}} trial has started.\n\nYour settings [{{preferences_url}}]\n\n{{#if vip}}\nA gift for you\n\n{{/if}}\nAcme, 1 Main St · Unsubscribe [{{unsubscribe_url}}]',
    );
  });
});
