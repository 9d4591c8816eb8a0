/**
 * The audit log: who did what, newest first, filtered by action, keyset-paged. Targets and details come from
 * request input (user ids, preference payloads), so they are interpolated like all outside data: escaped.
 */
import { AUDIT_ACTIONS } from '../../audit/audit.ts';
import type { AuditList, AuditQuery } from '../audit-list.ts';
import { auditQueryString } from '../audit-list.ts';
import { dash, h, json, time, urls, type Html } from '../html.ts';
import { page } from '../layout.ts';

function filterForm(q: AuditQuery): Html {
  const option = (value: string, label: string) => h`<option value="${value}"${(q.action ?? '') === value ? h` selected` : ''}>${label}</option>`;
  return h`<form class="filters panel" method="get" action="${urls.audit()}" aria-label="Filter the audit log">
  <div><label for="f-action">Action</label><select id="f-action" name="action">${option('', 'Any action')}${AUDIT_ACTIONS.map((a) => option(a, a))}</select></div>
  <div class="actions"><button type="submit">Apply filter</button><a class="button secondary" href="${urls.audit()}">Clear</a></div>
</form>`;
}

function entryRow(e: AuditList['rows'][number]): Html {
  return h`<tr data-id="${e.id}">
  <td class="nowrap">${time(e.at)}</td>
  <td>${e.actor}</td>
  <td><code>${e.action}</code></td>
  <td>${e.target ?? dash}</td>
  <td>${e.ip ?? dash}</td>
  <td>${e.details === null ? dash : json(e.details, 'Details')}</td>
</tr>`;
}

export function auditPage(q: AuditQuery, list: AuditList): Html {
  const body = h`<h1>Audit log</h1>
<p class="muted">Logins, API keys in use, and every change made through the API or this dashboard, newest first.</p>
${filterForm(q)}
<div class="table-wrap">
<table id="audit">
  <caption class="sr-only">Audit log entries${q.action ? ` for ${q.action}` : ''}, newest first</caption>
  <thead><tr><th scope="col">Time</th><th scope="col">Actor</th><th scope="col">Action</th><th scope="col">Target</th><th scope="col">Client address</th><th scope="col">Details</th></tr></thead>
  <tbody>${list.rows.map(entryRow)}</tbody>
</table>
</div>
${list.rows.length ? '' : h`<p class="muted">No entries${q.action ? h` for <code>${q.action}</code>` : ''}.</p>`}
<div class="pager">
  ${q.cursor ? h`<a href="${urls.audit(auditQueryString({ action: q.action }))}">« Newest</a>` : ''}
  ${list.next ? h`<a href="${urls.audit(auditQueryString({ action: q.action, cursor: list.next }))}" rel="next">Older entries »</a>` : ''}
</div>`;
  return page({ title: 'Audit log', section: 'audit', body });
}
