/**
 * A broadcast runs as an ordinary workflow: the same steps, its category and window, no trigger event. Its runs
 * carry the workflow id `broadcast:<id>`, which is looked up among the bundle's broadcasts (never served from
 * `workflows`, so no trigger route can start it); the compiler refuses a workflow id that starts so.
 */
import type { Broadcast, Bundle, Workflow } from './schema.ts';

export const BROADCAST_WORKFLOW_PREFIX = 'broadcast:';

/** The workflow id a broadcast's runs carry. */
export function broadcastWorkflowId(broadcastId: string): string {
  return `${BROADCAST_WORKFLOW_PREFIX}${broadcastId}`;
}

/** The broadcast id a run's workflow id names (`broadcast:<id>`), or undefined for a workflow's own. */
export function broadcastIdOf(workflowId: string): string | undefined {
  return workflowId.startsWith(BROADCAST_WORKFLOW_PREFIX) ? workflowId.slice(BROADCAST_WORKFLOW_PREFIX.length) : undefined;
}

/** The broadcast a run's workflow id names, if any. */
export function broadcastOfWorkflow(bundle: Bundle, workflowId: string): Broadcast | undefined {
  const id = broadcastIdOf(workflowId);
  if (id === undefined || !bundle.broadcasts) return undefined;
  return Object.hasOwn(bundle.broadcasts, id) ? bundle.broadcasts[id] : undefined;
}

/** The workflow a broadcast's runs execute. Its trigger names no event that exists: nothing else starts it. */
export function broadcastWorkflow(broadcast: Broadcast): Workflow {
  const id = broadcastWorkflowId(broadcast.id);
  return {
    id,
    ...(broadcast.description === undefined ? {} : { description: broadcast.description }),
    trigger: { type: 'event', event: id },
    ...(broadcast.category === undefined ? {} : { category: broadcast.category }),
    cancelOn: [],
    ...(broadcast.window === undefined ? {} : { window: broadcast.window }),
    steps: broadcast.steps,
  };
}

/** The workflow a run executes: the bundle's own, or a broadcast's. */
export function runWorkflow(bundle: Bundle, workflowId: string): Workflow | undefined {
  if (Object.hasOwn(bundle.workflows, workflowId)) return bundle.workflows[workflowId];
  const broadcast = broadcastOfWorkflow(bundle, workflowId);
  return broadcast ? broadcastWorkflow(broadcast) : undefined;
}

const withBroadcasts = new WeakMap<Bundle, Bundle>();

/**
 * The bundle as runs see it: its workflows plus one per broadcast (`broadcast:<id>`), so the engine, which looks a
 * run's workflow up by id, runs a broadcast's like any other. A bundle's own workflow of the same id wins. Cached
 * per bundle (bundles are immutable once loaded).
 */
export function bundleForRuns(bundle: Bundle): Bundle {
  if (!bundle.broadcasts || Object.keys(bundle.broadcasts).length === 0) return bundle;
  const cached = withBroadcasts.get(bundle);
  if (cached) return cached;
  const workflows: Bundle['workflows'] = Object.create(null);
  for (const broadcast of Object.values(bundle.broadcasts)) workflows[broadcastWorkflowId(broadcast.id)] = broadcastWorkflow(broadcast);
  Object.assign(workflows, bundle.workflows);
  const view = { ...bundle, workflows };
  withBroadcasts.set(bundle, view);
  return view;
}
