/**
 * What a bundle's workflows listen to, indexed once per loaded bundle: which workflows an event starts, and
 * which events reach a run already under way (its `cancelOn` and the events its `waitFor` steps wait for).
 * Every accepted event asks both questions, in the runtime and in the in-memory driver alike.
 */
import type { Bundle, Workflow } from './schema.ts';
import { allSteps } from './walk.ts';

export interface WorkflowIndex {
  /** The workflows `event` starts, in the bundle's order. */
  startedBy(event: string): readonly Workflow[];
  /** Whether a run of `workflowId` reacts to `event` (it cancels the run, or a `waitFor` waits for it). */
  listensTo(workflowId: string, event: string): boolean;
}

const indexes = new WeakMap<Bundle, WorkflowIndex>();

export function workflowIndex(bundle: Bundle): WorkflowIndex {
  let index = indexes.get(bundle);
  if (!index) indexes.set(bundle, (index = buildIndex(bundle)));
  return index;
}

function buildIndex(bundle: Bundle): WorkflowIndex {
  // Maps, not objects: an event called `__proto__` or `constructor` is only a name here.
  const starts = new Map<string, Workflow[]>();
  const listening = new Map<string, Set<string>>();
  for (const workflow of Object.values(bundle.workflows)) {
    if (workflow.trigger.type === 'event') starts.set(workflow.trigger.event, [...(starts.get(workflow.trigger.event) ?? []), workflow]);
    const events = new Set<string>(workflow.cancelOn);
    for (const step of allSteps(workflow.steps)) if (step.kind === 'waitFor' && step.until.type === 'event') events.add(step.until.event);
    listening.set(workflow.id, events);
  }
  return {
    startedBy: (event) => starts.get(event) ?? [],
    listensTo: (workflowId, event) => listening.get(workflowId)?.has(event) ?? false,
  };
}
