/** A run: where it is, what happened in it (with the values that decided each branch), and its messages. */
import type { MessageRow, RunRow } from '../../db/sql.ts';
import { badge, dash, h, json, time, urls, userLink, type Html } from '../html.ts';
import { page } from '../layout.ts';
import { shortVersion } from './workflow.ts';

export function runPage(run: RunRow, messages: MessageRow[]): Html {
  const state = (run.state ?? {}) as {
    history?: { at: number; stepId: string; kind: string; outcome: string; detail?: unknown }[];
    waiting?: unknown;
    data?: unknown;
  };
  const history = Array.isArray(state.history) ? state.history : [];
  const body = h`<p class="muted"><a href="${urls.workflow(run.workflow)}">${run.workflow}</a> › run</p>
<h1>Run <code>${run.id}</code></h1>
<dl class="facts panel">
  <dt>Status</dt><dd>${badge(run.status)}</dd>
  <dt>Workflow</dt><dd><a href="${urls.workflow(run.workflow)}">${run.workflow}</a></dd>
  <dt>Bundle</dt><dd><a href="${urls.workflow(run.workflow, run.bundle_version)}"><code title="${run.bundle_version}">${shortVersion(run.bundle_version)}</code></a></dd>
  <dt>User</dt><dd>${userLink(run.user_id)}</dd>
  <dt>Trigger</dt><dd>${run.trigger_event ?? dash}</dd>
  <dt>Started</dt><dd>${time(run.created_at)}</dd>
  <dt>Updated</dt><dd>${time(run.updated_at)}</dd>
  <dt>Waiting</dt><dd>${state.waiting ? json(state.waiting, 'What the run waits for') : dash}</dd>
  <dt>Data</dt><dd>${json(state.data ?? {}, 'Trigger data')}</dd>
</dl>
<section aria-labelledby="h-history"><h2 id="h-history">History</h2>
  <div class="table-wrap"><table id="run-history">
    <caption class="sr-only">What happened in the run, in order</caption>
    <thead><tr><th scope="col">Time</th><th scope="col">Step</th><th scope="col">Kind</th><th scope="col">Outcome</th><th scope="col">Detail</th></tr></thead>
    <tbody>${history.map(
      (
        e,
      ) => h`<tr><td class="nowrap">${time(e.at)}</td><td>${e.stepId || h`<span class="muted">(run)</span>`}</td><td>${e.kind}</td><td>${badge(e.outcome)}</td>
        <td>${e.detail === undefined ? dash : h`<details><summary>detail</summary>${json(e.detail, `Detail of ${e.stepId || 'run'} ${e.outcome}`)}</details>`}</td></tr>`,
    )}</tbody>
  </table></div>
</section>
<section aria-labelledby="h-run-messages"><h2 id="h-run-messages">Messages</h2>
  ${
    messages.length
      ? h`<ul>${messages.map((m) => h`<li><a href="${urls.message(m.id)}">${m.step_id} · ${m.channel}</a> ${badge(m.status)} ${time(m.created_at)}</li>`)}</ul>`
      : h`<p class="muted">No messages yet.</p>`
  }
</section>`;
  return page({ title: `Run ${run.id}`, section: 'workflows', body });
}
