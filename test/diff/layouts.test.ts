/**
 * `herald diff` on a layout, partial or brand change: the templates whose rendered output it alters, found by
 * rendering each template that uses it with its event's first example, before and after (hand-made bundles, as
 * the compiler writes them: resolved content and `composedFrom`).
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Bundle, Template } from '../../compiler/bundle/schema.ts';
import { diffBundles, emptyBundle } from '../../compiler/diff/diff.ts';
import { renderMarkdown } from '../../compiler/diff/markdown.ts';
import { brief, buildTree, removeTree } from '../setup/tree.ts';

const part = (id: string, digest: string) => ({ id, digest: digest.repeat(16) });

function emailTemplate(id: string, html: string, composedFrom?: Template['composedFrom']): Template {
  return { id, event: 'signed_up', content: { email: { subject: 'Hi {{name}}', html } }, locales: {}, ...(composedFrom ? { composedFrom } : {}) };
}

function bundle(templates: Template[], brand: Record<string, string>): Bundle {
  return {
    ...emptyBundle({ retentionMs: 30 * 86_400_000, brand }),
    events: { signed_up: { name: 'signed_up', schema: { type: 'object', properties: { plan: { type: 'string' } } }, examples: [{ plan: 'free' }] } },
    templates: Object.fromEntries(templates.map((t) => [t.id, t])),
  };
}

/** The sides as the compiler would compose them, with a footer partial and a brand. */
function side(footer: string, footerDigest: string, brand: Record<string, string>): Bundle {
  const from = { layout: part('default', 'a'), partials: [part('legal-footer', footerDigest)] };
  return bundle(
    [
      emailTemplate('welcome', `<main>Welcome</main>${footer}`, from),
      emailTemplate('receipt', `<main>Receipt</main>${footer}`, from),
      // Uses the footer only for pro users: the first example is on the free plan, so its render does not change.
      emailTemplate('upgrade', `<main>Upgrade</main>{{#if (eq plan "pro")}}${footer}{{/if}}`, from),
      emailTemplate('plain', '<main>No footer, no brand</main>'),
    ],
    brand,
  );
}

describe('herald diff on layouts, partials and brand', () => {
  it('lists the templates a partial change alters, by their rendered output', () => {
    const base = side('<p>1 Main St</p>', 'b', { name: 'Acme' });
    const head = side('<p>2 Side St</p>', 'c', { name: 'Acme' });
    const diff = diffBundles(base, head);
    expect(diff.compositions).toEqual([
      { kind: 'partial', id: 'legal-footer', summary: 'partial `legal-footer` changed: changes 2 templates', templates: ['receipt', 'welcome'] },
    ]);
    expect(renderMarkdown(diff, head)).toContain('- partial `legal-footer` changed: changes 2 templates: `receipt`, `welcome`');
  });

  it('lists the templates that render the brand when it changes, and says nothing when nothing did', () => {
    const footer = '<p>{{brand.name}}</p>';
    const base = side(footer, 'b', { name: 'Acme' });
    const head = side(footer, 'b', { name: 'Acme Corp' });
    expect(diffBundles(base, head).compositions).toEqual([
      { kind: 'brand', id: 'brand', summary: 'the brand changed: changes 2 templates', templates: ['receipt', 'welcome'] },
    ]);
    expect(diffBundles(base, base).compositions).toBeUndefined();
  });
});

/** Two real trees, compiled: the footer partial's address changes, one template does not use it. */
const tree = (address: string) => `
import { event, layout, partial, settings, template, z } from 'herald';
export const signedUp = event('signed_up', { schema: z.object({ name: z.string() }), examples: [{ name: 'Ada' }] });
export const footer = partial('legal-footer', { html: '<p>${address}</p>', text: '${address}' });
const frame = layout('default', { html: '<html>{{{content}}}{{> legal-footer}}</html>', text: '{{{content}}}' });
export default settings({ layouts: { email: frame } });
export const hello = template('hello', { data: signedUp, email: { subject: 'Hi {{name}}', html: '<p>Hello</p>' } });
export const bye = template('bye', { data: signedUp, email: { subject: 'Bye', text: 'Bye {{name}}' }, sms: { body: 'Bye. {{> legal-footer}}' } });
export const plain = template('plain', { data: signedUp, layout: false, email: { subject: 'Plain', text: 'No footer' } });
`;

describe('herald diff on compiled trees', () => {
  afterAll(() => {
    removeTree('diff-layouts-base');
    removeTree('diff-layouts-head');
  });

  it('names the partial and the templates its change alters', async () => {
    const base = await buildTree('diff-layouts-base', { 'index.ts': tree('1 Main St') });
    const head = await buildTree('diff-layouts-head', { 'index.ts': tree('2 Side St') });
    expect([...base.diagnostics, ...head.diagnostics].map(brief)).toEqual([]);
    expect(diffBundles(base.bundle!, head.bundle!).compositions).toEqual([
      { kind: 'partial', id: 'legal-footer', summary: 'partial `legal-footer` changed: changes 2 templates', templates: ['bye', 'hello'] },
    ]);
  });
});
