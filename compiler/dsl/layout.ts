import type { EventDefinition, LayoutDefinition, PartialDefinition } from './definitions.ts';

export interface LayoutOptions<Data> {
  /** The whole email document, with `{{{content}}}` where each template's html body goes. */
  html: string;
  /** The plain-text frame, with `{{{content}}}` where each template's text body goes. */
  text?: string;
  /** The event the layout is written for, when it reads that event's fields: only its templates may use it. */
  data?: EventDefinition<Data>;
}

/**
 * An email layout: the header, footer and styles every email shares, resolved at build time. A template names
 * it (`layout: defaultLayout`), `settings({ layouts: { email: defaultLayout } })` makes it the default, and
 * `layout: false` opts out. Its variables are checked against each template that uses it; `{{brand.…}}` reads
 * the brand.
 *
 * @example
 * export const defaultLayout = layout('default', {
 *   html: '<html><body><img src="{{brand.logoUrl}}">{{{content}}}{{> legal-footer}}</body></html>',
 *   text: '{{{content}}}\n\n{{> legal-footer}}',
 * });
 */
export function layout<Data>(id: string, options: LayoutOptions<Data>): LayoutDefinition {
  return {
    kind: 'layout',
    id,
    html: options.html,
    ...(options.text === undefined ? {} : { text: options.text }),
    ...(options.data === undefined ? {} : { event: options.data as EventDefinition<unknown> }),
  };
}

/**
 * A reusable piece of content, used as `{{> legal-footer}}` in layouts and templates: an email's html body takes
 * its `html`, every other text (email text and subject, SMS, push, in-app) its `text`. Partials may use partials.
 *
 * @example
 * export const legalFooter = partial('legal-footer', {
 *   html: '<p>{{brand.name}}, {{brand.postalAddress}} · <a href="{{unsubscribe_url}}">Unsubscribe</a></p>',
 *   text: '{{brand.name}}, {{brand.postalAddress}}. Unsubscribe: {{unsubscribe_url}}',
 * });
 */
export function partial(id: string, options: { html?: string; text?: string }): PartialDefinition {
  return {
    kind: 'partial',
    id,
    ...(options.html === undefined ? {} : { html: options.html }),
    ...(options.text === undefined ? {} : { text: options.text }),
  };
}
