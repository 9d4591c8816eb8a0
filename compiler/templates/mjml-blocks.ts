/**
 * MJML keeps only elements where it expects children: a Handlebars tag written between two sections
 * (`{{#if vip}}<mj-section>…</mj-section>{{/if}}`) would vanish, and the email would show the section to
 * everyone. Such tags are wrapped in `<mj-raw>`, which MJML copies verbatim and accepts in every container.
 * Tags inside an element whose content is HTML (mj-text, mj-button, …) or inside an attribute are already
 * kept, and are left alone. The wrapping stays on the tag's own line, so MJML's line numbers still match.
 */

/** MJML's "ending tags": their content is HTML, copied as is (mjml-preset-core, `endingTag = true`). */
const HTML_CONTENT = new Set([
  'mj-accordion-text',
  'mj-accordion-title',
  'mj-breakpoint',
  'mj-button',
  'mj-carousel-image',
  'mj-navbar-link',
  'mj-preview',
  'mj-raw',
  'mj-social-element',
  'mj-style',
  'mj-table',
  'mj-text',
  'mj-title',
]);

/** A comment, an element tag (quoted attribute values may hold `>`), or a Handlebars tag. */
const TOKEN = /<!--[\s\S]*?-->|<(\/?)([a-zA-Z][\w-]*)((?:"[^"]*"|'[^']*'|[^'">])*)>|\{\{\{[\s\S]*?\}\}\}|\{\{[\s\S]*?\}\}/g;

export function placeBlockTags(source: string): string {
  let insideHtml: string | undefined;
  return source.replace(TOKEN, (token, closing: string | undefined, name: string | undefined, rest: string | undefined) => {
    if (name !== undefined) {
      const tag = name.toLowerCase();
      if (insideHtml === undefined && !closing && HTML_CONTENT.has(tag) && !rest?.trimEnd().endsWith('/')) insideHtml = tag;
      else if (insideHtml === tag && closing) insideHtml = undefined;
      return token;
    }
    if (insideHtml !== undefined || !token.startsWith('{{')) return token;
    return `<mj-raw>${token}</mj-raw>`;
  });
}
