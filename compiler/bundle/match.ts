/**
 * Keyed listeners: what in a workflow reacts to a later event (its `cancelOn` entries, its event `waitFor`
 * steps), and, for those with a `match`, the values an event must carry to count. The engine decides with
 * these; the runtime indexes a run's expected values when it starts it, so an event finds its runs by key.
 */
import type { CancelOn, EventMatch, JsonValue, Workflow } from './schema.ts';
import { allSteps } from './walk.ts';

/** Something in a workflow that an event reaches: a `cancelOn` entry, or the event `waitFor` step `stepId`. */
export interface Listener {
  event: string;
  /** Event path → trigger path; null when any event of that name (from the run's user) counts. */
  match: EventMatch | null;
  /** The waitFor step's id; null for a `cancelOn` entry. */
  stepId: string | null;
}

export function cancelOnEvent(entry: CancelOn): string {
  return typeof entry === 'string' ? entry : entry.event;
}

export function cancelOnMatch(entry: CancelOn): EventMatch | null {
  return typeof entry === 'string' ? null : entry.match;
}

const listenersByWorkflow = new WeakMap<Workflow, readonly Listener[]>();

/** Every listener of the workflow: `cancelOn` entries first, then waits in step order. Cached per workflow object. */
export function listenersOf(workflow: Workflow): readonly Listener[] {
  let listeners = listenersByWorkflow.get(workflow);
  if (!listeners) {
    const found: Listener[] = workflow.cancelOn.map((entry) => ({ event: cancelOnEvent(entry), match: cancelOnMatch(entry), stepId: null }));
    for (const step of allSteps(workflow.steps)) {
      if (step.kind === 'waitFor' && step.until.type === 'event') found.push({ event: step.until.event, match: step.until.match ?? null, stepId: step.id });
    }
    listenersByWorkflow.set(workflow, (listeners = found));
  }
  return listeners;
}

/** Whether some listener of the workflow is keyed (its runs have match keys, when they have a user). */
export function hasKeys(workflow: Workflow): boolean {
  return listenersOf(workflow).some((l) => l.match !== null);
}

/** The value at a dot path of event data (own fields only; digits index arrays), or undefined when absent. */
export function valueAt(data: JsonValue | undefined, path: string): JsonValue | undefined {
  let current = data;
  for (const segment of path.split('.')) {
    if (Array.isArray(current) && /^\d+$/.test(segment)) current = current[Number(segment)];
    else if (current !== null && typeof current === 'object' && !Array.isArray(current) && Object.hasOwn(current, segment)) current = current[segment];
    else return undefined;
  }
  return current;
}

/**
 * What a matching event's data must contain: each event path of `match` holding the trigger's value at its
 * paired path, as nested objects (`{ 'order.id': 'order_id' }` with `order_id: 'o1'` → `{ order: { id: 'o1' } }`).
 * Null when the trigger lacks a value: such a listener can never match, so there is nothing to look up.
 * Objects have null prototypes: a path segment is only a name here.
 */
export function expectedData(match: EventMatch, triggerData: Record<string, JsonValue>): Record<string, JsonValue> | null {
  const expected: Record<string, JsonValue> = Object.create(null);
  for (const [eventPath, triggerPath] of Object.entries(match)) {
    const value = valueAt(triggerData, triggerPath);
    if (value === undefined) return null;
    const segments = eventPath.split('.');
    const last = segments.pop()!;
    let node = expected;
    for (const segment of segments) {
      const next = Object.hasOwn(node, segment) ? node[segment] : undefined;
      // Two paths where one is the prefix of the other are refused by the compiler; never overwrite a value.
      if (next !== undefined && (next === null || typeof next !== 'object' || Array.isArray(next))) return null;
      node = (next as Record<string, JsonValue> | undefined) ?? (node[segment] = Object.create(null) as Record<string, JsonValue>);
    }
    node[last] = value;
  }
  return expected;
}
