/**
 * What a bundle's workflows listen to, indexed once per loaded bundle: which workflows an event starts, and
 * which events reach a run already under way (its `cancelOn` and the events its `waitFor` steps wait for).
 * Every accepted event asks both questions, in the runtime and in the in-memory driver alike.
 */
import type { Bundle, Workflow } from './schema.ts';
import { listenersOf } from './match.ts';

export interface WorkflowIndex {
  /** The workflows `event` starts, in the bundle's order. */
  startedBy(event: string): readonly Workflow[];
  /**
   * Whether a run of `workflowId` may react to `event` (it cancels the run, or a `waitFor` waits for it), keyed
   * or not: a superset of the runs to feed, which the in-memory driver feeds and the engine then decides on.
   */
  listensTo(workflowId: string, event: string): boolean;
  /** Whether `event` reaches every run of `workflowId` of its user: a listener for it has no `match`. */
  reachesEveryRun(workflowId: string, event: string): boolean;
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
  const unkeyed = new Map<string, Set<string>>();
  for (const workflow of Object.values(bundle.workflows)) {
    if (workflow.trigger.type === 'event') starts.set(workflow.trigger.event, [...(starts.get(workflow.trigger.event) ?? []), workflow]);
    const listeners = listenersOf(workflow);
    listening.set(workflow.id, new Set(listeners.map((l) => l.event)));
    unkeyed.set(workflow.id, new Set(listeners.filter((l) => l.match === null).map((l) => l.event)));
  }
  return {
    startedBy: (event) => starts.get(event) ?? [],
    listensTo: (workflowId, event) => listening.get(workflowId)?.has(event) ?? false,
    reachesEveryRun: (workflowId, event) => unkeyed.get(workflowId)?.has(event) ?? false,
  };
}
