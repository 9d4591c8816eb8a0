/**
 * `herald diff` flags the compliance violations a change introduces (compiler/diff/compliance.ts), on hand-made
 * bundles: a footer dropped from a promotional email is flagged once, in the Markdown's alert too; a violation
 * the base already had, or one that only grows (a longer subject), is not this change's doing.
 */
import { describe, expect, it } from 'vitest';
import type { Bundle, Template } from '../../compiler/bundle/schema.ts';
import { diffBundles, emptyBundle } from '../../compiler/diff/diff.ts';
import { renderMarkdown } from '../../compiler/diff/markdown.ts';

const email = (text: string, subject = 'Deals'): Template => ({ id: 'deals', event: 'e', content: { email: { subject, text } }, locales: {} });
const COMPLIANT = 'Deals inside. Unsubscribe: {{unsubscribe_url}} · {{brand.postalAddress}}';

function bundle(template: Template): Bundle {
  return {
    ...emptyBundle({ retentionMs: 86_400_000, brand: { postalAddress: '1 Example Street' } }),
    templates: { deals: template },
    categories: { promo: { id: 'promo', description: 'Offers', defaultChannels: ['email'], required: false, marketing: true } },
    workflows: {
      deals: {
        id: 'deals',
        trigger: { type: 'event', event: 'e' },
        category: 'promo',
        cancelOn: [],
        steps: [{ id: 'send', kind: 'send', template: 'deals', routing: { method: 'single', channels: ['email'], strategy: 'ordered' }, critical: false }],
      },
    },
  };
}

describe('compliance flags in herald diff', () => {
  it('flags the unsubscribe link a change removes, and shows it in the pull-request comment', () => {
    const head = bundle(email('Deals inside. {{brand.postalAddress}}'));
    const diff = diffBundles(bundle(email(COMPLIANT)), head);
    const flags = diff.flags.filter((f) => f.kind === 'compliance');
    expect(flags.map((f) => `${f.rule} ${f.section} ${f.id}`)).toEqual(['compliance-violation-introduced templates deals']);
    expect(flags[0]!.message).toMatch(
      /^CAN-SPAM §7704\(a\)\(3\), \(a\)\(5\)\(A\)\(ii\): template "deals" .* no unsubscribe link \(`compliance-unsubscribe`\)$/,
    );
    const markdown = renderMarkdown(diff, head);
    expect(markdown).toContain('> **1 compliance violation introduced (compiler/compliance)**');
    expect(markdown).toContain('- `email.text` changed — ⚖️ **compliance**');
  });

  it('shows a category turned marketing, and flags the marketing rules its SMS now breaks', () => {
    const sms: Template = { id: 'deals', event: 'e', content: { sms: { body: 'Half price' } }, locales: {} };
    const head = bundle(sms);
    const send = head.workflows.deals!.steps[0]!;
    if (send.kind === 'send') send.routing.channels = ['sms'];
    const { marketing, ...plain } = head.categories.promo!;
    const base: Bundle = { ...head, categories: { promo: plain } };
    expect(marketing).toBe(true);
    const diff = diffBundles(base, head);
    expect(diff.categories.changed).toEqual([
      { id: 'promo', changes: [{ path: 'marketing', summary: 'now marketing (held to the marketing rules)', before: false, after: true }] },
    ]);
    expect(diff.flags.map((f) => `${f.section} ${f.id} ${f.message.split(':')[0]}`)).toEqual([
      'templates deals CTIA Messaging Principles and Best Practices (opt-out)',
      'workflows deals TCPA 47 CFR §64.1200(c)(1)',
    ]);
  });

  it('does not flag a violation the base already had, even when its measure grows', () => {
    const long = (n: number) => email(COMPLIANT, 's'.repeat(n));
    expect(diffBundles(bundle(long(80)), bundle(long(90))).flags.filter((f) => f.kind === 'compliance')).toEqual([]);
    expect(diffBundles(bundle(long(70)), bundle(long(90))).flags.map((f) => f.message)).toEqual([
      'RFC 5322 §2.1.1: template "deals": the email subject is 90 characters (variables counted as written), over 78 (`compliance-subject-length`)',
    ]);
  });
});
