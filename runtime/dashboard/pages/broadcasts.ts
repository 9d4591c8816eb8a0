/**
 * Broadcasts: each broadcast of the live bundle (who it reaches, its rate and window) with a Send button, and
 * the newest broadcast runs with their progress (planned, started, sent, skipped by reason, …) and a Cancel
 * button while something is left to stop. The page reloads itself every few seconds while a run is going.
 */
import type { Broadcast, Bundle } from '../../../compiler/bundle/schema.ts';
import { fanoutRate, recipients, sendWindow } from '../../../compiler/graph/describe.ts';
import type { BroadcastProgress } from '../../broadcasts/broadcasts.ts';
import { badge, dash, h, time, urls, type Html } from '../html.ts';
import { page } from '../layout.ts';
import { shortVersion } from './workflow.ts';

/** What the page was sent back with after a form: the run just sent or cancelled. */
export type BroadcastNotice = { sent: string } | { cancelled: string } | null;

export interface BroadcastsPageOptions {
  bundle: Bundle | null;
  runs: BroadcastProgress[];
  notice: BroadcastNotice;
  /** A fresh token per Send button: the send's Idempotency-Key, so a double click or a resubmitted form sends once. */
  token: () => string;
}

/** Seconds between reloads while a run is still starting or waiting. */
const REFRESH_SECONDS = 5;

const isGoing = (run: BroadcastProgress) => run.status === 'running' || run.pending > 0;

function broadcastRow(b: Broadcast, token: string): Html {
  return h`<tr data-broadcast="${b.id}">
  <th scope="row">${b.id}${b.description ? h`<div class="muted">${b.description}</div>` : ''}</th>
  <td>${recipients(b.recipients)}</td>
  <td>${fanoutRate(b.rate)}</td>
  <td>${b.window ? sendWindow(b.window) : dash}</td>
  <td>${b.category ?? dash}</td>
  <td><form method="post" action="${urls.broadcastSend(b.id)}">
    <input type="hidden" name="token" value="${token}">
    <button type="submit" aria-label="Send broadcast ${b.id} now">Send now</button>
  </form></td>
</tr>`;
}

function skippedText(run: BroadcastProgress): Html | string {
  const reasons = Object.entries(run.skippedBy).sort(([a], [b]) => a.localeCompare(b));
  if (run.skipped === 0) return '0';
  return h`${run.skipped} <span class="muted">(${reasons.map(([reason, n]) => `${reason} ${n}`).join(', ')})</span>`;
}

function runRow(run: BroadcastProgress): Html {
  const messages = urls.messages(`?workflow=${encodeURIComponent(`broadcast:${run.broadcast}`)}&range=all`);
  return h`<tr id="run-${run.runId}" data-run="${run.runId}" data-status="${run.status}">
  <td><code title="${run.runId}">${run.runId.slice(0, 8)}</code></td>
  <th scope="row">${run.broadcast}</th>
  <td>${badge(run.status)}</td>
  <td data-count="planned">${run.planned}</td>
  <td data-count="started">${run.started}</td>
  <td data-count="sent">${run.sent}</td>
  <td data-count="skipped">${skippedText(run)}</td>
  <td data-count="failed">${run.failed}</td>
  <td data-count="cancelled">${run.cancelled}</td>
  <td data-count="pending">${run.pending}</td>
  <td class="nowrap">${time(run.createdAt)}</td>
  <td><a href="${messages}">Messages</a>${
    isGoing(run)
      ? h` <form method="post" action="${urls.broadcastCancel(run.runId)}">
    <button type="submit" class="secondary" aria-label="Cancel broadcast run ${run.runId}">Cancel</button>
  </form>`
      : ''
  }</td>
</tr>`;
}

function noticeOf(notice: BroadcastNotice): Html | string {
  if (!notice) return '';
  const [what, id] = 'sent' in notice ? ['Sent', notice.sent] : ['Cancelled', notice.cancelled];
  return h`<p class="panel" role="status" id="notice">${what}: broadcast run <a href="#run-${id}"><code>${id}</code></a>.</p>`;
}

export function broadcastsPage({ bundle, runs, notice, token }: BroadcastsPageOptions): Html {
  const broadcasts = Object.values(bundle?.broadcasts ?? {}).sort((a, b) => a.id.localeCompare(b.id));
  const body = h`<h1>Broadcasts</h1>
${noticeOf(notice)}
<p class="muted">Live bundle ${bundle ? h`<code>${shortVersion(bundle.version)}</code>` : 'none'}. A send starts one ordinary run per recipient,
at the broadcast's rate: each recipient's preferences, frequency caps, opt-outs and send window apply.</p>
${
  broadcasts.length
    ? h`<div class="table-wrap"><table id="broadcasts">
  <caption class="sr-only">Broadcasts of the live bundle</caption>
  <thead><tr><th scope="col">Broadcast</th><th scope="col">Recipients</th><th scope="col">Rate</th><th scope="col">Window</th><th scope="col">Category</th><th scope="col">Send</th></tr></thead>
  <tbody>${broadcasts.map((b) => broadcastRow(b, token()))}</tbody>
</table></div>`
    : h`<p class="muted">The live bundle has no broadcasts.</p>`
}
<section aria-labelledby="h-runs">
  <h2 id="h-runs">Recent sends</h2>
  ${
    runs.length
      ? h`<div class="table-wrap"><table id="broadcast-runs">
    <caption class="sr-only">Broadcast runs, newest first, with their progress</caption>
    <thead><tr><th scope="col">Run</th><th scope="col">Broadcast</th><th scope="col">Status</th><th scope="col">Planned</th><th scope="col">Started</th><th scope="col">Sent</th><th scope="col">Skipped</th><th scope="col">Failed</th><th scope="col">Cancelled</th><th scope="col">Pending</th><th scope="col">Sent at</th><th scope="col">Actions</th></tr></thead>
    <tbody>${runs.map(runRow)}</tbody>
  </table></div>`
      : h`<p class="muted">No broadcast has been sent yet.</p>`
  }
</section>`;
  return page({ title: 'Broadcasts', section: 'broadcasts', body, ...(runs.some(isGoing) ? { refreshSeconds: REFRESH_SECONDS } : {}) });
}
