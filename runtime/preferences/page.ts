/**
 * The preference center's HTML: one fieldset per category with a checkbox per channel, a Save button, and
 * nothing that needs JavaScript or anything outside this page (no CDN, no web fonts). Every value that comes
 * from a bundle or a profile goes through hono/html's escaping (interpolation in `html`), so a description
 * or trait containing markup shows as text. Element ids are positional, never derived from category ids.
 */
import { html } from 'hono/html';
import type { Channel } from '../../compiler/bundle/schema.ts';
import { toggleKey } from './form.ts';
import type { PreferenceRule } from '../engine/index.ts';
import type { CategoryPreferences, ChannelPreference } from './view.ts';

type Html = ReturnType<typeof html>;

const CHANNEL_LABEL: Record<Channel, string> = { email: 'Email', sms: 'SMS', push: 'Push notifications', inapp: 'In-app', webhook: 'Webhook' };
/** How a sentence names a channel: "unsubscribed from … by email". */
const CHANNEL_NOUN: Record<Channel, string> = { email: 'email', sms: 'SMS', push: 'push notification', inapp: 'in-app message', webhook: 'webhook' };

export type Notice = { kind: 'saved' } | { kind: 'unsubscribed'; description: string; channel: Channel } | { kind: 'refused'; description: string };

export interface CenterView {
  /** Who the page is for, as the profile names them (a trait or the email), or null. */
  who: string | null;
  categories: CategoryPreferences[];
  notice: Notice | null;
  /** The number replied STOP: no SMS goes out whatever the toggles say, until START. */
  smsOptOut: boolean;
  /** The tenant the link names (its defaults are in `categories`), named as the page shows it; absent: none. */
  tenant?: { name: string | null } | null;
}

/**
 * Why a toggle is in its state, from the engine's rule: the user's choice, the tenant's default, or the category's
 * default. Required categories have their own note instead.
 */
function sourceOf(rule: PreferenceRule, tenantName: string): string | null {
  switch (rule) {
    case 'opted-in':
    case 'opted-out':
      return 'your choice';
    case 'tenant-default':
      return `${tenantName}'s default`;
    case 'category-default':
    case 'not-a-default-channel':
      return 'default';
    default:
      return null;
  }
}

/** How the page names a tenant without a name. */
const tenantNameOf = (tenant: CenterView['tenant']) => tenant?.name ?? 'your workspace';

/** "product-updates" → "Product updates": categories have an id and a description, no display name. */
export function categoryTitle(id: string): string {
  const words = id.replace(/[-_.:]+/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

const STYLE = html`<style>
  * { box-sizing: border-box; }
  body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1f2328; background: #f6f8fa; }
  main { max-width: 40rem; margin: 0 auto; padding: 1.5rem 1rem 3rem; }
  h1 { font-size: 1.5rem; line-height: 1.25; margin: 0 0 .25rem; }
  .who, .description, .note { color: #4b5563; }
  .who { margin: 0 0 1.5rem; }
  .notice { margin: 0 0 1.5rem; padding: .75rem 1rem; border-radius: 6px; border-left: 4px solid #1a7f37; background: #dafbe1; }
  .notice.error { border-left-color: #cf222e; background: #ffebe9; }
  .notice.info { border-left-color: #0969da; background: #ddf4ff; }
  fieldset { margin: 0 0 1rem; padding: 1rem; border: 1px solid #d0d7de; border-radius: 8px; background: #fff; min-width: 0; }
  legend { padding: 0 .25rem; font-weight: 600; font-size: 1.125rem; }
  .description { margin: 0 0 .75rem; }
  .channels { list-style: none; margin: 0; padding: 0; display: grid; grid-template-columns: repeat(auto-fit, minmax(9.5rem, 1fr)); gap: .25rem 1rem; }
  .channels li { display: flex; align-items: center; gap: .625rem; min-height: 44px; }
  input[type="checkbox"] { width: 1.25rem; height: 1.25rem; margin: 0; flex: none; accent-color: #1d4ed8; }
  label { cursor: pointer; }
  input:disabled + label { cursor: not-allowed; }
  .note { margin: .5rem 0 0; font-size: .9375rem; }
  .toggle { display: flex; flex-direction: column; line-height: 1.25; }
  .source { color: #4b5563; font-size: .8125rem; }
  button { width: 100%; min-height: 44px; padding: .75rem 1.5rem; border: 0; border-radius: 6px; font: inherit; font-weight: 600; color: #fff; background: #1d4ed8; cursor: pointer; }
  button:hover { background: #1e40af; }
  :focus-visible { outline: 3px solid #0a3069; outline-offset: 3px; }
  @media (min-width: 32rem) { button { width: auto; } main { padding-top: 3rem; } }
</style>`;

function layout(title: string, body: Html): Html {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="robots" content="noindex" />
        <title>${title}</title>
        ${STYLE}
      </head>
      <body>
        <main>${body}</main>
      </body>
    </html>`;
}

function notice(n: Notice | null): Html | null {
  if (!n) return null;
  switch (n.kind) {
    case 'saved':
      return html`<p class="notice" role="status">Your preferences are saved.</p>`;
    case 'unsubscribed':
      return html`<p class="notice" role="status">You are unsubscribed from <strong>${n.description}</strong> by ${CHANNEL_NOUN[n.channel]}. You can change any of your choices below.</p>`;
    case 'refused':
      return html`<p class="notice error" role="alert"><strong>${n.description}</strong> cannot be turned off. Nothing was changed.</p>`;
  }
}

function category(c: CategoryPreferences, index: number, tenantName: string): Html {
  const id = `c${index}`;
  const toggles = (Object.entries(c.channels) as [Channel, ChannelPreference][]).map(([channel, { allowed, rule }]) => {
    const box = `${id}-${channel}`;
    const source = c.required ? null : sourceOf(rule, tenantName);
    // Disabled controls are not posted: a required category sends nothing, so nothing can opt it out.
    const input = c.required
      ? html`<input type="checkbox" id="${box}" checked disabled aria-describedby="${id}-note" />`
      : html`<input type="hidden" name="shown" value="${toggleKey(c.id, channel)}" /><input type="checkbox" id="${box}" name="on" value="${toggleKey(c.id, channel)}" ${allowed ? html`checked` : ''} ${source ? html`aria-describedby="${box}-source"` : ''} />`;
    const label = html`<label for="${box}">${CHANNEL_LABEL[channel]}</label>`;
    return html`<li>${input}${source ? html`<span class="toggle">${label}<span class="source" id="${box}-source">${source}</span></span>` : label}</li>`;
  });
  return html`<fieldset aria-describedby="${id}-description">
    <legend>${categoryTitle(c.id)}</legend>
    <p class="description" id="${id}-description">${c.description}</p>
    <ul class="channels">${toggles}</ul>
    ${c.required ? html`<p class="note" id="${id}-note">Always on: you need these messages to use your account, so they cannot be turned off.</p>` : ''}
  </fieldset>`;
}

/** What the user can change first; the locked categories after (stable otherwise: the bundle's order). */
const ordered = (categories: CategoryPreferences[]) => [...categories.filter((c) => !c.required), ...categories.filter((c) => c.required)];

export function centerPage(view: CenterView): Html {
  return layout(
    'Notification preferences',
    html`<h1>Notification preferences</h1>
      ${view.who ? html`<p class="who">For <strong>${view.who}</strong></p>` : html`<p class="who">Choose what we send you, and where.</p>`}
      ${notice(view.notice)}
      ${
        view.tenant
          ? html`<p class="notice info">Where you have not made a choice, ${tenantNameOf(view.tenant)}'s defaults apply. Your choices apply to messages from every workspace.</p>`
          : ''
      }
      ${view.smsOptOut ? html`<p class="notice info">You replied STOP to our texts, so we send you no SMS at all. Reply START to receive them again.</p>` : ''}
      ${
        view.categories.length
          ? html`<form method="post">
            ${ordered(view.categories).map((c, i) => category(c, i, tenantNameOf(view.tenant)))}
            <button type="submit">Save preferences</button>
          </form>`
          : html`<p>There is nothing to choose from yet.</p>`
      }`,
  );
}

/** Invalid, forged and expired links alike: the page says nothing about the link or whose it was. */
export function linkErrorPage(): Html {
  return layout(
    'This link does not work',
    html`<h1>This link does not work</h1>
      <p>The link is not valid, or it has expired. To manage your notification preferences, open the link in a more recent message from us.</p>`,
  );
}

/** The bare `/preferences` (messages to direct recipients, who have no profile to keep choices on). */
export function noLinkPage(): Html {
  return layout(
    'Notification preferences',
    html`<h1>Notification preferences</h1>
      <p>Your preferences are managed from the personal link in the messages we send you. Open it from a recent message.</p>`,
  );
}

/** A post the page could not have made (a malformed field). */
export function badFormPage(): Html {
  return layout('Nothing was changed', html`<h1>Nothing was changed</h1><p>The form could not be read. Go back, reload the page and try again.</p>`);
}
