/**
 * A throttled run ends before its sends, so they would leave no trace in the user's message log. To answer
 * "why wasn't this sent?" there, the sends the throttle held back (the send steps after it in its own step
 * list) are logged as `skipped` with reason `throttled` and the count that decided it.
 */
import { randomUUID } from 'node:crypto';
import type { JsonValue, SendStep, Step, Workflow } from '../../compiler/bundle/schema.ts';
import type * as sql from '../db/sql.ts';

/** The send steps that follow `stepId` in the step list that holds it (branches included in the search). */
export function sendsAfter(steps: Step[], stepId: string): SendStep[] | null {
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

/** The `skipped` messages for the sends a throttle held back, for the turn's message log. */
export function throttledMessages(
  run: { workflow: Workflow; userId: string | null },
  throttle: { stepId: string; count: number; limit: number; now: number },
): sql.MessageEntry[] {
  const detail: JsonValue = { throttle: throttle.stepId, count: throttle.count, limit: throttle.limit };
  const at = new Date(throttle.now).toISOString();
  return (sendsAfter(run.workflow.steps, throttle.stepId) ?? []).flatMap((send) =>
    // `single` would have tried its first channel; `all` every one.
    (send.routing.method === 'all' ? send.routing.channels : send.routing.channels.slice(0, 1)).map((channel) => ({
      id: randomUUID(),
      step_id: send.id,
      channel,
      workflow: run.workflow.id,
      template: send.template,
      user_id: run.userId,
      status: 'skipped',
      reason: 'throttled',
      provider: null,
      provider_message_id: null,
      provider_response: null,
      content: null,
      history: [{ status: 'skipped', at, reason: 'throttled', detail }],
    })),
  );
}
