import { describe, expect, it } from 'vitest';
import { plainTextOf } from './plain-text.ts';

describe('plainTextOf', () => {
  it('keeps links as text [url], Handlebars URLs included, and a link shown as its own URL once', () => {
    expect(plainTextOf('<p>Read <a href="https://x.test/docs">the docs</a> or <a href="{{action_url}}">start</a>.</p>')).toBe(
      'Read the docs [https://x.test/docs] or start [{{action_url}}].',
    );
    expect(plainTextOf('<p><a href="{{unsubscribe_url}}">{{unsubscribe_url}}</a></p>')).toBe('{{unsubscribe_url}}');
  });

  it('keeps every Handlebars tag as written, in headings too', () => {
    const html = '<h1>Welcome, {{first_name}}</h1><p>{{{signature_html}}} &amp; {{! note }}{{#if (eq plan "pro")}}Pro{{else}}Free{{/if}}</p>';
    expect(plainTextOf(html)).toBe('WELCOME, {{first_name}}\n\n{{{signature_html}}} & {{! note }}{{#if (eq plan "pro")}}Pro{{else}}Free{{/if}}');
  });

  it('keeps an {{#each}} block around list items and table rows as text', () => {
    expect(plainTextOf('<ul>{{#each items}}<li>{{this.title}}: {{this.price}}</li>{{/each}}</ul>')).toBe(
      // The closing tag after the last item is indented as the list is: whitespace, the same once rendered.
      '{{#each items}}\n * {{this.title}}: {{this.price}}\n   {{/each}}',
    );
    const table = plainTextOf('<table><tbody>{{#each items}}<tr><td>{{title}}</td></tr>{{/each}}</tbody></table>');
    expect(table).toContain('{{#each items}}');
    expect(table).toContain('{{title}}');
    expect(table).toContain('{{/each}}');
  });

  it('drops images, inline data and hidden preview text', () => {
    const html = '<div style="display:none;max-height:0px;">Preview line</div><p><img src="data:image/png;base64,iVBORw0KGgo=" alt="Logo">Hello</p>';
    expect(plainTextOf(html)).toBe('Hello');
  });
});
