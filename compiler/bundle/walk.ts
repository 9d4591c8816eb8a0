/**
 * Walking a workflow's steps: the one place that knows how branches nest. The engine, the runtime's driver and
 * the in-memory driver all ask these questions of a step list.
 */
import type { Channel, SendStep, Step } from './schema.ts';

/** Every step of a list, branches' arms and `otherwise` included, depth first in source order. */
export function* allSteps(steps: readonly Step[]): Generator<Step> {
  for (const step of steps) {
    yield step;
    if (step.kind === 'branch') {
      for (const arm of step.arms) yield* allSteps(arm.steps);
      yield* allSteps(step.otherwise);
    }
  }
}

/** The step with this id, in any branch. (Plain recursion, not `allSteps`: the engine asks on every fact.) */
export function findStep(steps: readonly Step[], id: string): Step | undefined {
  for (const step of steps) {
    if (step.id === id) return step;
    if (step.kind !== 'branch') continue;
    for (const arm of step.arms) {
      const inner = findStep(arm.steps, id);
      if (inner) return inner;
    }
    const inner = findStep(step.otherwise, id);
    if (inner) return inner;
  }
  return undefined;
}

/** The send steps that follow `stepId` in the step list that holds it (branches included in the search). */
export function sendsAfter(steps: readonly Step[], stepId: string): SendStep[] | null {
  const at = steps.findIndex((s) => s.id === stepId);
  if (at >= 0) return steps.slice(at + 1).filter((s): s is SendStep => s.kind === 'send');
  for (const step of steps) {
    if (step.kind !== 'branch') continue;
    for (const list of [...step.arms.map((a) => a.steps), step.otherwise]) {
      const found = sendsAfter(list, stepId);
      if (found) return found;
    }
  }
  return null;
}

/**
 * The messages a throttle held back: a throttled run ends before its sends, which are logged `skipped` with
 * reason `throttled` so "why wasn't this sent?" has an answer. `single` routing would have tried its first
 * channel; `all` every one.
 */
export function heldByThrottle(steps: readonly Step[], throttleStepId: string): { send: SendStep; channel: Channel }[] {
  return (sendsAfter(steps, throttleStepId) ?? []).flatMap((send) =>
    (send.routing.method === 'all' ? send.routing.channels : send.routing.channels.slice(0, 1)).map((channel) => ({ send, channel })),
  );
}
