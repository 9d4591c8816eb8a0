/**
 * The message list: filters, counts by status, a keyset-paged table newest first, kept live by the script
 * polling the JSON twin of this page (`/dashboard/api/messages`, same query string).
 */
import { CHANNELS } from '../../../compiler/bundle/schema.ts';
import type { DashboardMessageListRow } from '../../db/sql.ts';
import { inputTime, MESSAGE_STATUSES, queryString, RANGE_LABELS, rangeOf, type MessageQuery } from '../filters.ts';
import { badge, dash, h, time, timeText, toneOf, urls, userLink, type Html } from '../html.ts';
import { page } from '../layout.ts';
import type { MessagePage, StatusCounts } from '../queries.ts';

export interface FilterChoices {
  workflows: string[];
  providers: string[];
}

/** A list row on the wire (the live script draws it; see assets.ts). */
export function listItem(m: DashboardMessageListRow) {
  return {
    id: m.id,
    createdAt: m.created_at.toISOString(),
    createdAtText: timeText(m.created_at),
    userId: m.user_id,
    workflow: m.workflow,
    step: m.step_id,
    channel: m.channel,
    provider: m.provider,
    status: m.status,
    tone: toneOf(m.status),
    reason: m.reason,
    runId: m.run_id,
    links: {
      message: urls.message(m.id),
      user: m.user_id === null ? null : urls.user(m.user_id),
      workflow: urls.workflow(m.workflow),
      run: urls.run(m.run_id),
    },
  };
}

export function listJson(list: MessagePage, counts: StatusCounts) {
  return { messages: list.rows.map(listItem), next: list.next, counts };
}

/** Rows of a message table; shared with the user page's timeline. */
export function messageRows(rows: DashboardMessageListRow[], options: { user?: boolean } = {}): Html[] {
  const showUser = options.user !== false;
  return rows.map(
    (m) => h`<tr data-id="${m.id}">
  <td class="nowrap"><a href="${urls.message(m.id)}">${time(m.created_at)}</a></td>
  ${showUser ? h`<td>${userLink(m.user_id)}</td>` : ''}
  <td><a href="${urls.workflow(m.workflow)}">${m.workflow}</a><span class="muted"> · ${m.step_id}</span></td>
  <td>${m.channel}</td>
  <td>${m.provider ?? dash}</td>
  <td>${badge(m.status)}${m.reason ? h`<span class="muted"> ${m.reason}</span>` : ''}</td>
</tr>`,
  );
}

export function messageTableHead(options: { user?: boolean } = {}): Html {
  return h`<thead><tr><th scope="col">Time</th>${options.user === false ? '' : h`<th scope="col">User</th>`}<th scope="col">Workflow · step</th><th scope="col">Channel</th><th scope="col">Provider</th><th scope="col">Status</th></tr></thead>`;
}

function option(value: string, label: string, selected: boolean): Html {
  return h`<option value="${value}"${selected ? h` selected` : ''}>${label}</option>`;
}

function filterForm(q: MessageQuery, choices: FilterChoices): Html {
  return h`<form class="filters panel" method="get" action="/dashboard" aria-label="Filter messages">
  <div><label for="f-user">User id</label><input id="f-user" name="user" value="${q.user ?? ''}" autocomplete="off"></div>
  <div><label for="f-tenant">Tenant</label><input id="f-tenant" name="tenant" value="${q.tenant ?? ''}" autocomplete="off"></div>
  <div><label for="f-workflow">Workflow</label><input id="f-workflow" name="workflow" list="workflows" value="${q.workflow ?? ''}" autocomplete="off">
    <datalist id="workflows">${choices.workflows.map((w) => h`<option value="${w}"></option>`)}</datalist></div>
  <div><label for="f-channel">Channel</label><select id="f-channel" name="channel">${option('', 'Any channel', q.channel === undefined)}${CHANNELS.map((c) => option(c, c, q.channel === c))}</select></div>
  <div><label for="f-provider">Provider</label><input id="f-provider" name="provider" list="providers" value="${q.provider ?? ''}" autocomplete="off">
    <datalist id="providers">${choices.providers.map((p) => h`<option value="${p}"></option>`)}</datalist></div>
  <div><label for="f-status">Status</label><select id="f-status" name="status">${option('', 'Any status', q.status === undefined)}${MESSAGE_STATUSES.map((s) => option(s, s, q.status === s))}</select></div>
  <div><label for="f-range">Time</label><select id="f-range" name="range">${(Object.keys(RANGE_LABELS) as (keyof typeof RANGE_LABELS)[]).map((r) => option(r, RANGE_LABELS[r], rangeOf(q) === r))}</select></div>
  <div><label for="f-from">From (UTC)</label><input id="f-from" name="from" type="datetime-local" step="1" value="${inputTime(q.from)}"></div>
  <div><label for="f-to">Until (UTC)</label><input id="f-to" name="to" type="datetime-local" step="1" value="${inputTime(q.to)}"></div>
  ${q.limit !== 50 ? h`<input type="hidden" name="limit" value="${q.limit}">` : ''}
  <div class="actions"><button type="submit">Apply filters</button><a class="button secondary" href="/dashboard">Clear</a></div>
</form>`;
}

function countLinks(q: MessageQuery, counts: StatusCounts): Html {
  const chip = (status: string | undefined, label: string, n: number, key: string) =>
    h`<li><a href="${urls.messages(queryString(q, { status }))}" aria-current="${q.status === status ? 'true' : 'false'}">${label} <strong data-count="${key}">${n}${key === '' && counts.capped ? '+' : ''}</strong></a></li>`;
  return h`<nav aria-label="Messages by status"><ul class="counts" id="counts">
  ${chip(undefined, 'All', counts.total, '')}
  ${MESSAGE_STATUSES.map((s) => chip(s, s, counts.byStatus[s] ?? 0, s))}
</ul></nav>
${counts.capped ? h`<p class="muted">Counts cover the newest ${counts.total.toLocaleString('en')} matching messages.</p>` : ''}`;
}

export interface MessagesPageOptions {
  q: MessageQuery;
  list: MessagePage;
  counts: StatusCounts;
  choices: FilterChoices;
}

export function messagesPage({ q, list, counts, choices }: MessagesPageOptions): Html {
  const firstPage = q.cursor === undefined;
  const live = firstPage ? `/dashboard/api/messages${queryString(q)}` : null;
  const body = h`<h1>Messages</h1>
${filterForm(q, choices)}
${countLinks(q, counts)}
<div class="live">
  ${
    live
      ? h`<span class="check"><input type="checkbox" id="live-toggle" checked> <label for="live-toggle">Live updates (every 5 s)</label></span>`
      : h`<span class="muted">Live updates are off on later pages. <a href="${urls.messages(queryString(q))}">Back to the newest</a></span>`
  }
  <span id="live-status" class="muted" role="status" aria-live="polite"></span>
</div>
<div class="table-wrap">
<table id="messages"${live ? h` data-live="${live}"` : ''}>
  <caption class="sr-only">Messages matching the filters, newest first</caption>
  ${messageTableHead()}
  <tbody>${messageRows(list.rows)}</tbody>
</table>
</div>
<p id="empty" class="muted"${list.rows.length ? h` hidden` : ''}>No messages match these filters.</p>
<div class="pager">
  ${firstPage ? '' : h`<a href="${urls.messages(queryString(q))}">« Newest</a>`}
  ${list.next ? h`<a href="${urls.messages(queryString(q, { cursor: list.next }))}" rel="next">Older messages »</a>` : ''}
</div>`;
  return page({ title: 'Messages', section: 'messages', body });
}
