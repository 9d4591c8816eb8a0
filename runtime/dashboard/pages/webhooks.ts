/**
 * Outbound webhooks (runtime/outbox/): each endpoint (and the Segment destination) with its pending deliveries,
 * and its latest deliveries with every attempt (time, answer, error, duration). URLs, errors and user ids come
 * from outside: escaped like everything else.
 */
import { type DeliveryWithAttempts, type EndpointPanel, PENDING_COUNT_CAP } from '../../outbox/deliveries.ts';
import { badge, dash, h, time, type Html } from '../html.ts';
import { page } from '../layout.ts';

function attemptsCell(d: DeliveryWithAttempts): Html {
  if (d.attempts.length === 0) return dash;
  return h`<ol class="attempts">${d.attempts.map(
    (a) =>
      h`<li>${time(a.at)} · ${a.statusCode === null ? h`<span class="muted">no answer</span>` : h`<code>${String(a.statusCode)}</code>`} · ${String(a.durationMs)} ms${a.error ? h` · ${a.error}` : ''}</li>`,
  )}</ol>`;
}

function deliveryRow(d: DeliveryWithAttempts): Html {
  return h`<tr data-id="${d.id}">
  <td class="nowrap">${time(d.createdAt)}</td>
  <td><code>${d.type}</code></td>
  <td>${d.userId ?? dash}</td>
  <td><code>${d.eventId}</code></td>
  <td>${badge(d.state)}${d.nextAttemptAt ? h`<br><span class="muted">next ${time(d.nextAttemptAt)}</span>` : ''}</td>
  <td>${attemptsCell(d)}</td>
</tr>`;
}

function panel(p: EndpointPanel): Html {
  const e = p.endpoint;
  const title = e.kind === 'segment' ? 'Segment destination' : e.url;
  return h`<section class="panel" id="endpoint-${e.id}">
  <h2>${title} ${badge(e.enabled ? 'enabled' : 'disabled')}</h2>
  <p class="muted">${e.eventTypes ? e.eventTypes.join(', ') : 'every event type'} · id <code>${e.id}</code> · ${p.pendingMore ? `more than ${PENDING_COUNT_CAP.toLocaleString('en')}` : String(p.pending)} pending</p>
  <div class="table-wrap">
  <table>
    <caption class="sr-only">Latest deliveries to ${title}, newest first</caption>
    <thead><tr><th scope="col">Queued</th><th scope="col">Event</th><th scope="col">User</th><th scope="col">webhook-id</th><th scope="col">State</th><th scope="col">Attempts</th></tr></thead>
    <tbody>${p.deliveries.map(deliveryRow)}</tbody>
  </table>
  </div>
  ${p.deliveries.length ? '' : h`<p class="muted">No deliveries yet.</p>`}
</section>`;
}

export function webhooksPage(panels: EndpointPanel[]): Html {
  const body = h`<h1>Outbound webhooks</h1>
<p class="muted">Lifecycle events sent to the endpoints registered with <code>POST /v1/webhook-endpoints</code>, signed per Standard Webhooks, in order per user; a failing delivery is retried with backoff for up to 3 days, then dead.</p>
${panels.map(panel)}
${panels.length ? '' : h`<p class="muted">No endpoints.</p>`}`;
  return page({ title: 'Outbound webhooks', section: 'none', body });
}
