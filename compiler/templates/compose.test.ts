/**
 * Composition without a compiler run: partials see the scope of the place they are used in, problems are traced
 * back to the line of the layout or partial that wrote them, and an MJML email takes no layout.
 */
import { describe, expect, it } from 'vitest';
import { composeTemplate, type CompositionParts, type TemplateSource } from './compose.ts';
import { scopeForEvent } from './scope.ts';

const schema = {
  type: 'object',
  properties: { first_name: { type: 'string' }, items: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' } } } } },
};
const scope = scopeForEvent(schema, 'order_placed', { name: 'Acme' });
const parts: CompositionParts = {
  layouts: new Map([['default', { id: 'default', html: '<html>\n<p>{{brand.nmae}}</p>{{{content}}}</html>', text: '{{{content}}}\n-- {{brand.name}}' }]]),
  partials: new Map([['line', { id: 'line', html: '<li>{{name}}</li>', text: '- {{name}}' }]]),
  defaultLayout: 'default',
};
const template = (content: TemplateSource['content'], extra: Partial<TemplateSource> = {}): TemplateSource => ({
  id: 'order',
  event: 'order_placed',
  content,
  locales: {},
  ...extra,
});
const where = (p: { source: { kind: string; path: readonly string[] }; line: number; column: number; field: string }) =>
  `${p.source.kind}:${p.source.path.join('.')}:${p.line}:${p.column} via ${p.field}`;

describe('composeTemplate', () => {
  it('checks a partial in the scope where it is used, and traces problems to the line that wrote them', async () => {
    const composed = await composeTemplate(
      template({ email: { subject: 'Hi {{first_name}}', html: '<ul>{{#each items}}{{> line}}{{/each}}</ul>', text: '{{> line}}' } }),
      parts,
      scope,
    );
    expect(composed.content.email?.html).toBe('<html>\n<p>{{brand.nmae}}</p><ul>{{#each items}}<li>{{name}}</li>{{/each}}</ul></html>');
    expect(composed.content.email?.text).toBe('- {{name}}\n-- {{brand.name}}');
    // Inside the each, `name` is the item's; in the text, at the top, it is unknown: reported in the partial, at its column.
    expect(composed.problems.map(where)).toEqual(['layout:html:2:6 via email.html', 'partial:text:1:5 via email.text']);
    expect(composed.composedFrom).toEqual({
      layout: { id: 'default', digest: expect.stringMatching(/^[0-9a-f]{16}$/) },
      partials: [{ id: 'line', digest: expect.stringMatching(/^[0-9a-f]{16}$/) }],
    });
  });

  it('leaves an sms alone but for its partials, and a template with layout: false unframed', async () => {
    const composed = await composeTemplate(
      template({ email: { subject: 'S', text: 'Plain' }, sms: { body: 'Hi {{first_name}}' } }, { layout: false }),
      parts,
      scope,
    );
    expect(composed.content).toEqual({ email: { subject: 'S', text: 'Plain' }, sms: { body: 'Hi {{first_name}}' } });
    expect(composed.composedFrom).toBeUndefined();
    expect(composed.problems).toEqual([]);
    const smsOnly = await composeTemplate(template({ sms: { body: 'Hi' } }, { layout: 'default' }), parts, scope);
    expect(smsOnly.problems.map((p) => p.message)).toEqual(['template "order" names layout "default" but has no email, the one channel that takes layouts']);
  });

  it('refuses a layout named by an MJML email, and generates its text', async () => {
    const mjml = '<mjml><mj-body><mj-section><mj-column><mj-text>Hi {{first_name}}</mj-text></mj-column></mj-section></mj-body></mjml>';
    const composed = await composeTemplate(template({ email: { subject: 'S', mjml } as never }, { layout: 'default' }), parts, scope);
    expect(composed.problems.map((p) => `${p.code} ${where(p)}`)).toEqual(['invalid-definition template:layout:1:1 via layout']);
    expect(composed.content.email?.html).toContain('Hi {{first_name}}');
    expect(composed.content.email?.text).toBe('Hi {{first_name}}');
    expect(composed.composedFrom).toBeUndefined();
  });
});
