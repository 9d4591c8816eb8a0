/**
 * Workflows: the list of the live bundle's, and one workflow's page: its diagram (the compiler's SVG) with
 * how many runs passed each step, its runs in flight, and the bundle versions loaded (which one is live).
 */
import { raw } from 'hono/html';
import type { Bundle, Step, Workflow } from '../../../compiler/bundle/schema.ts';
import { trigger as describeTrigger } from '../../../compiler/graph/describe.ts';
import { workflowGraph } from '../graph.ts';
import { badge, dash, h, time, urls, userLink, type Html } from '../html.ts';
import { page } from '../layout.ts';
import type { WorkflowStats } from '../queries.ts';

export const shortVersion = (version: string) => version.replace(/^sha256:/, '').slice(0, 12);

/** Every step in document order, with its depth in branch arms. */
function allSteps(steps: Step[], depth = 0): { step: Step; depth: number }[] {
  return steps.flatMap((step) => [
    { step, depth },
    ...(step.kind === 'branch' ? [...step.arms.flatMap((a) => allSteps(a.steps, depth + 1)), ...allSteps(step.otherwise, depth + 1)] : []),
  ]);
}

export function workflowsPage(bundle: Bundle | null): Html {
  const workflows = Object.values(bundle?.workflows ?? {}).sort((a, b) => a.id.localeCompare(b.id));
  const body = h`<h1>Workflows</h1>
<p class="muted">Live bundle ${bundle ? h`<code>${shortVersion(bundle.version)}</code>` : 'none'}.</p>
<div class="table-wrap"><table>
  <caption class="sr-only">Workflows of the live bundle</caption>
  <thead><tr><th scope="col">Workflow</th><th scope="col">Trigger</th><th scope="col">Category</th><th scope="col">Description</th></tr></thead>
  <tbody>${workflows.map(
    (w) =>
      h`<tr><th scope="row"><a href="${urls.workflow(w.id)}">${w.id}</a></th><td>${describeTrigger(w.trigger)}</td><td>${w.category ?? dash}</td><td>${w.description ?? dash}</td></tr>`,
  )}</tbody>
</table></div>`;
  return page({ title: 'Workflows', section: 'workflows', body });
}

export interface WorkflowPageOptions {
  id: string;
  /** The bundle shown (the live one unless a version was asked for) and its definition of the workflow. */
  version: string;
  workflow: Workflow;
  liveVersion: string | null;
  stats: WorkflowStats;
}

export function workflowPage({ id, version, workflow, liveVersion, stats }: WorkflowPageOptions): Html {
  const steps = allSteps(workflow.steps);
  const svg = workflowGraph(workflow, { passed: stats.passed, waiting: stats.waiting });
  const inFlight = [...stats.waiting.values()].reduce((a, b) => a + b, 0);
  const body = h`<p class="muted"><a href="${urls.workflows()}">Workflows</a> › ${id}</p>
<h1>Workflow ${id}</h1>
<dl class="facts panel">
  <dt>Description</dt><dd>${workflow.description ?? dash}</dd>
  <dt>Trigger</dt><dd>${describeTrigger(workflow.trigger)}</dd>
  <dt>Category</dt><dd>${workflow.category ?? dash}</dd>
  <dt>Bundle shown</dt><dd><code title="${version}">${shortVersion(version)}</code> ${version === liveVersion ? badge('live') : h`<span class="badge tone-wait">not live</span> <a href="${urls.workflow(id)}">show the live one</a>`}</dd>
  <dt>Messages</dt><dd><a href="${urls.messages(`?workflow=${encodeURIComponent(id)}`)}">Messages of this workflow</a></dd>
</dl>
<section aria-labelledby="h-graph">
  <h2 id="h-graph">Graph</h2>
  <figure class="graph" id="graph">
    ${raw(svg)}
    <figcaption class="muted">The diagram of <code>herald graph ${id} --format svg</code>. Badges: runs that reached each step, of the newest ${stats.counted.toLocaleString('en')} run${stats.counted === 1 ? '' : 's'} started since ${time(stats.since)}, and runs waiting there now.</figcaption>
  </figure>
  <div class="table-wrap"><table id="step-counts">
    <caption class="sr-only">Runs through each step</caption>
    <thead><tr><th scope="col">Step</th><th scope="col">Kind</th><th scope="col">Runs that reached it</th><th scope="col">Waiting there now</th></tr></thead>
    <tbody>${steps.map(
      ({ step, depth }) =>
        h`<tr data-step="${step.id}"><th scope="row">${depth ? h`<span aria-hidden="true">${'↳ '.repeat(depth)}</span>` : ''}${step.id}</th><td>${step.kind}</td><td>${stats.passed.get(step.id) ?? 0}</td><td>${stats.waiting.get(step.id) ?? 0}</td></tr>`,
    )}</tbody>
  </table></div>
</section>
<section aria-labelledby="h-runs">
  <h2 id="h-runs">Runs in flight <span class="muted">(${inFlight})</span></h2>
  ${
    stats.inFlight.length
      ? h`<div class="table-wrap"><table id="runs-in-flight">
    <caption class="sr-only">Runs in flight, newest first${inFlight > stats.inFlight.length ? ` (the newest ${stats.inFlight.length})` : ''}</caption>
    <thead><tr><th scope="col">Run</th><th scope="col">User</th><th scope="col">Status</th><th scope="col">Waiting at</th><th scope="col">Until</th><th scope="col">Bundle</th><th scope="col">Started</th></tr></thead>
    <tbody>${stats.inFlight.map(
      (r) => h`<tr><td><a href="${urls.run(r.id)}"><code>${r.id.slice(0, 8)}</code></a></td><td>${userLink(r.user_id)}</td><td>${badge(r.status)}</td>
        <td>${r.waiting?.stepId ? h`${r.waiting.stepId} <span class="muted">(${r.waiting.kind ?? ''})</span>` : dash}</td>
        <td>${typeof r.waiting?.until === 'number' ? time(r.waiting.until) : dash}</td>
        <td><code title="${r.bundle_version}">${shortVersion(r.bundle_version)}</code></td><td>${time(r.created_at)}</td></tr>`,
    )}</tbody></table></div>`
      : h`<p class="muted">No run of this workflow is in flight.</p>`
  }
</section>
<section aria-labelledby="h-bundles">
  <h2 id="h-bundles">Bundle versions</h2>
  <div class="table-wrap"><table id="bundles">
    <caption class="sr-only">Bundle versions loaded, newest first</caption>
    <thead><tr><th scope="col">Version</th><th scope="col">Loaded</th><th scope="col">Live</th><th scope="col">Has this workflow</th><th scope="col">Its runs in flight</th></tr></thead>
    <tbody>${stats.bundles.map(
      (
        b,
      ) => h`<tr><td>${b.has_workflow ? h`<a href="${urls.workflow(id, b.version)}"><code title="${b.version}">${shortVersion(b.version)}</code></a>` : h`<code title="${b.version}">${shortVersion(b.version)}</code>`}</td>
        <td>${time(b.loaded_at)}</td><td>${b.live ? badge('live') : dash}</td><td>${b.has_workflow ? 'yes' : 'no'}</td><td>${b.in_flight}</td></tr>`,
    )}</tbody>
  </table></div>
</section>`;
  return page({ title: `Workflow ${id}`, section: 'workflows', body });
}
