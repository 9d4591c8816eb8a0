import type { EventDefinition, LayoutDefinition, TemplateContent, TemplateDefinition } from './definitions.ts';

export interface TemplateOptions<Data> {
  /** The event whose data the template renders: its fields are the template's variables. */
  data: EventDefinition<Data>;
  email?: TemplateContent['email'];
  sms?: TemplateContent['sms'];
  push?: TemplateContent['push'];
  inapp?: TemplateContent['inapp'];
  /** The JSON POSTed by the webhook channel; its string values are templates (`{ user: '{{user.id}}' }`). */
  webhook?: TemplateContent['webhook'];
  /** Locale (BCP 47, e.g. `fr`, `pt-BR`) → fields that differ from the default content. */
  locales?: Record<string, Partial<TemplateContent>>;
  /** The email's layout (`layout()`), or `false` for none; absent: `settings({ layouts: { email } })`, if any. */
  layout?: LayoutDefinition | false;
}

/**
 * Message content for each channel, in Handlebars syntax as Courier uses: `{{first_name}}` reads the
 * event's data, `{{user.email}}` the recipient's profile.
 *
 * @example
 * export const welcome = template('onboarding-welcome', {
 *   data: trialStarted,
 *   email: { subject: 'Welcome, {{first_name}}', text: 'Hi {{first_name}}, welcome to the {{plan_type}} plan!' },
 *   sms: { body: 'Hi {{first_name}}, your {{plan_type}} trial is ready' },
 * });
 */
export function template<Data>(id: string, options: TemplateOptions<Data>): TemplateDefinition<Data> {
  const content: TemplateContent = {};
  if (options.email) content.email = options.email;
  if (options.sms) content.sms = options.sms;
  if (options.push) content.push = options.push;
  if (options.inapp) content.inapp = options.inapp;
  if (options.webhook) content.webhook = options.webhook;
  return {
    kind: 'template',
    id,
    event: options.data,
    content,
    locales: options.locales ?? {},
    ...(options.layout === undefined ? {} : { layout: options.layout }),
  };
}
