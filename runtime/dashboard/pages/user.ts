/** A user: profile, presence, preferences (category × channel, with the rule that decides), and every message to them in one timeline. */
import { CHANNELS } from '../../../compiler/bundle/schema.ts';
import { ago, dash, h, json, time, urls, type Html } from '../html.ts';
import { page } from '../layout.ts';
import type { MessagePage, PreferenceRow, UserView } from '../queries.ts';
import { messageRows, messageTableHead } from './messages.ts';

/** What each rule means, for people (engine/preferences.ts names them). */
const RULES: Record<string, string> = {
  required: 'required category: always sent',
  'opted-in': 'the user opted in',
  'opted-out': 'the user opted out',
  'tenant-default': "the tenant's default",
  'category-default': 'a default channel of the category',
  'not-a-default-channel': 'not a default channel of the category',
  'no-category': 'no category',
  'unknown-category': 'unknown category',
};

function preferencesTable(rows: PreferenceRow[]): Html {
  if (!rows.length) return h`<p class="muted">The live bundle defines no categories.</p>`;
  const channels = CHANNELS.filter((c) => offeredIn(rows, c));
  return h`<div class="table-wrap"><table id="preferences">
  <caption class="sr-only">Preferences: whether each category may use each channel, and the rule that decides</caption>
  <thead><tr><th scope="col">Category</th>${channels.map((c) => h`<th scope="col">${c}</th>`)}</tr></thead>
  <tbody>${rows.map(
    (
      r,
    ) => h`<tr><th scope="row">${r.category}${r.required ? h` <span class="badge tone-info">required</span>` : ''}<br><span class="muted">${r.description}</span></th>
    ${channels.map((c) => {
      const cell = r.channels[c] ?? { allowed: false, rule: 'not-offered' };
      return h`<td>${cell.allowed ? h`<span class="badge tone-ok">allowed</span>` : h`<span class="badge tone-bad">blocked</span>`}<br><span class="muted" title="${RULES[cell.rule] ?? cell.rule}">${cell.rule}</span></td>`;
    })}</tr>`,
  )}</tbody>
</table></div>`;
}

export interface UserPageOptions {
  userId: string;
  view: UserView;
  messages: MessagePage;
  cursor: string | undefined;
  now: number;
}

export function userPage({ userId, view, messages, cursor, now }: UserPageOptions): Html {
  const p = view.profile;
  const profile = p
    ? h`<dl class="facts panel" id="profile">
  <dt>Email</dt><dd>${p.email ?? dash}</dd>
  <dt>Phone</dt><dd>${p.phone_number ?? dash}${p.sms_opt_out ? h` <span class="badge tone-bad">SMS opted out (STOP)</span>` : ''}</dd>
  <dt>Push tokens</dt><dd>${p.push_tokens.length ? h`<details><summary>${p.push_tokens.length} token${p.push_tokens.length === 1 ? '' : 's'}</summary><ul>${p.push_tokens.map((t) => h`<li><code>${t}</code></li>`)}</ul></details>` : dash}</dd>
  <dt>Locale</dt><dd>${p.locale ?? dash}</dd>
  <dt>Time zone</dt><dd>${p.timezone ?? dash}</dd>
  <dt>Created</dt><dd>${time(p.created_at)}</dd>
  <dt>Updated</dt><dd>${time(p.updated_at)}</dd>
  <dt>Traits</dt><dd>${Object.keys(p.traits ?? {}).length ? json(p.traits, 'Traits') : dash}</dd>
</dl>`
    : h`<p class="notice">No stored profile for this id: messages to it used what their triggers carried.</p>`;
  const lastActive = view.snapshot.lastActiveAt;
  const body = h`<p class="muted"><a href="${urls.messages()}">Messages</a> › user</p>
<h1>User ${userId}</h1>
<section aria-labelledby="h-profile"><h2 id="h-profile">Profile</h2>${profile}</section>
<section aria-labelledby="h-presence"><h2 id="h-presence">Presence</h2>
  <p id="presence">${lastActive === null ? h`Never seen active (no heartbeat, inbox stream or page view yet).` : h`Last active ${time(lastActive)} (${ago(lastActive, now)}).`}</p>
</section>
<section aria-labelledby="h-preferences"><h2 id="h-preferences">Preferences</h2>${preferencesTable(view.preferences)}</section>
<section aria-labelledby="h-messages"><h2 id="h-messages">Messages</h2>
  <p class="muted">Every channel, newest first. <a href="${urls.messages(`?user=${encodeURIComponent(userId)}`)}">Filter the message list by this user</a></p>
  <div class="table-wrap"><table id="user-messages">
    <caption class="sr-only">Messages to ${userId}, newest first</caption>
    ${messageTableHead({ user: false })}
    <tbody>${messageRows(messages.rows, { user: false })}</tbody>
  </table></div>
  ${messages.rows.length ? '' : h`<p class="muted">No messages to this user.</p>`}
  <div class="pager">
    ${cursor ? h`<a href="${urls.user(userId)}#h-messages">« Newest</a>` : ''}
    ${messages.next ? h`<a href="${urls.user(userId)}?cursor=${encodeURIComponent(messages.next)}#h-messages" rel="next">Older messages »</a>` : ''}
  </div>
</section>`;
  return page({ title: `User ${userId}`, section: 'messages', body });
}

/** The bundle offers the channel (every row holds the same channels: offeredChannels). */
function offeredIn(rows: PreferenceRow[], channel: (typeof CHANNELS)[number]): boolean {
  return rows[0]?.channels[channel] !== undefined;
}
