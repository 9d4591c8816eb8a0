import Handlebars from 'handlebars';
import { describe, expect, it } from 'vitest';
import { compileMjml } from './mjml.ts';
import { placeBlockTags } from './mjml-blocks.ts';
import { plainTextOf } from './plain-text.ts';

const email = (body: string) => `<mjml>
  <mj-body>
${body}
  </mj-body>
</mjml>`;

const column = (inside: string) => `    <mj-section>
      <mj-column>
        ${inside}
      </mj-column>
    </mj-section>`;

describe('compileMjml', () => {
  it('keeps Handlebars in text, hrefs and attributes, and block tags around a section', async () => {
    const source = email(`    {{#if show_promo}}
${column(`<mj-text color="{{brand.colors.primary}}" font-size="{{size}}px">Hi {{first_name}}, {{{signature_html}}}</mj-text>
        <mj-button href="{{action_url}}">Start your {{plan_type}} trial</mj-button>
        <mj-image src="{{brand.logoUrl}}" alt="{{brand.name}}" />`)}
    {{else}}
${column('<mj-text>{{#each items}}<p>{{this.title}}</p>{{/each}}</mj-text>')}
    {{/if}}`);
    const { html, problems } = await compileMjml(source);
    expect(problems).toEqual([]);
    for (const tag of [
      '{{#if show_promo}}',
      '{{else}}',
      '{{/if}}',
      '{{brand.colors.primary}}',
      '{{size}}px',
      '{{first_name}}',
      '{{{signature_html}}}',
      'href="{{action_url}}"',
      'src="{{brand.logoUrl}}"',
      'alt="{{brand.name}}"',
      '{{#each items}}',
      '{{this.title}}',
    ]) {
      expect(html).toContain(tag);
    }
    // The block helper really wraps the section: rendering with show_promo false shows the other arm only.
    const render = Handlebars.compile(html);
    const data = { first_name: 'Ada', plan_type: 'pro', action_url: 'https://x.test/go', items: [{ title: 'One' }], brand: {} };
    expect(render({ ...data, show_promo: true })).toContain('Hi Ada,');
    expect(render({ ...data, show_promo: true })).not.toContain('<p>One</p>');
    expect(render({ ...data, show_promo: false })).not.toContain('Hi Ada,');
    expect(render({ ...data, show_promo: false })).toContain('<p>One</p>');
  });

  it('produces email HTML: tables, inlined styles, responsive media queries', async () => {
    const { html } = await compileMjml(email(column('<mj-text>Hello</mj-text>')));
    expect(html).toMatch(/^<!doctype html>/i);
    expect(html).toContain('<table');
    expect(html).toContain('@media only screen');
    expect(html).toContain('style="');
  });

  it('reports an unknown element and an illegal attribute at their line and column', async () => {
    const source = email(
      column(`<mj-text colour="red">Hi</mj-text>
        <mj-buton href="/x">Go</mj-buton>`),
    );
    const { html, problems } = await compileMjml(source);
    expect(html).toBe('');
    expect(problems).toEqual([
      {
        line: 5,
        column: 9,
        message: 'Attribute colour is illegal',
        hint: "remove the attribute or check its spelling against the element's documentation",
      },
      {
        line: 6,
        column: 9,
        message: "Element mj-buton doesn't exist or is not registered",
        hint: "check the spelling; MJML's standard elements are listed at https://documentation.mjml.io",
      },
    ]);
    expect(source.split('\n')[5]).toContain('<mj-buton');
  });

  it('reports an element in the wrong parent, and a literal attribute value of the wrong type', async () => {
    const { problems } = await compileMjml(email('    <mj-text color="reddish">Hi</mj-text>'));
    expect(problems.map((p) => [p.line, p.message])).toEqual([
      [3, 'mj-text cannot be used inside mj-body, only inside: mj-attributes, mj-column, mj-hero'],
      [3, 'Attribute color has invalid value: reddish for type Color'],
    ]);
    const typed = await compileMjml(email(column('<mj-text font-size="big">Hi</mj-text>')));
    expect(typed.problems.map((p) => [p.line, p.message])).toEqual([
      [5, 'Attribute font-size has invalid value: big for type Unit, only accepts (px) units and 1 value(s)'],
    ]);
  });

  it('turns a body that is not an MJML document into a problem, never a throw', async () => {
    const { html, problems } = await compileMjml('<p>Hello {{first_name}}</p>');
    expect(html).toBe('');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ line: 1, column: 1, message: expect.stringContaining('MJML cannot read this body') });
  });

  it('is deterministic: the ids MJML draws at random for carousels and menus are stable', async () => {
    const source = email(
      column(`<mj-carousel><mj-carousel-image src="https://x.test/a.png" /><mj-carousel-image src="https://x.test/b.png" /></mj-carousel>
        <mj-navbar hamburger="hamburger"><mj-navbar-link href="/a">A</mj-navbar-link></mj-navbar>`),
    );
    const first = await compileMjml(source);
    const second = await compileMjml(source);
    expect(first.problems).toEqual([]);
    expect(first.html).toBe(second.html);
    expect(first.html).toContain('0000000000000001');
  });

  it('gives a plain text (plainTextOf) that reads as the words a person wrote', async () => {
    const { html } = await compileMjml(`<mjml>
  <mj-head><mj-preview>Your trial is ready</mj-preview><mj-title>Welcome</mj-title></mj-head>
  <mj-body>
    <mj-section><mj-column>
      <mj-image src="https://x.test/logo.png" alt="Acme" />
      <mj-text><h1>Hi {{first_name}}</h1><p>Your {{plan_type}} trial has started.</p></mj-text>
      <mj-button href="{{action_url}}">Get started</mj-button>
      <mj-text>Acme, 1 Main St · <a href="{{unsubscribe_url}}">Unsubscribe</a></mj-text>
    </mj-column></mj-section>
  </mj-body>
</mjml>`);
    expect(plainTextOf(html)).toBe(
      'HI {{first_name}}\n\nYour {{plan_type}} trial has started.\n\nGet started [{{action_url}}]\n\nAcme, 1 Main St · Unsubscribe [{{unsubscribe_url}}]',
    );
  });
});

describe('placeBlockTags', () => {
  it('wraps tags between elements only, on their own line', () => {
    const source = `<mj-body>
{{#if a}}<mj-section><mj-column><mj-text>{{#if b}}x{{/if}} <a href="{{u}}">y</a></mj-text>
<mj-image src="{{src}}" /></mj-column></mj-section>{{/if}}
<!-- {{#if c}} -->
</mj-body>`;
    expect(placeBlockTags(source)).toBe(`<mj-body>
<mj-raw>{{#if a}}</mj-raw><mj-section><mj-column><mj-text>{{#if b}}x{{/if}} <a href="{{u}}">y</a></mj-text>
<mj-image src="{{src}}" /></mj-column></mj-section><mj-raw>{{/if}}</mj-raw>
<!-- {{#if c}} -->
</mj-body>`);
  });
});
