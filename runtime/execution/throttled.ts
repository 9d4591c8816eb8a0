/**
 * A throttled run ends before its sends, so they would leave no trace in the user's message log. To answer
 * "why wasn't this sent?" there, the sends the throttle held back (the send steps after it in its own step
 * list) are logged as `skipped` with reason `throttled` and the count that decided it.
 */
import type { JsonValue, Workflow } from '../../compiler/bundle/schema.ts';
import { heldByThrottle } from '../../compiler/bundle/walk.ts';
import type * as sql from '../db/sql.ts';
import { newTimeOrderedId } from '../db/time-ordered-id.ts';

/** The `skipped` messages for the sends a throttle held back, for the run's message log. */
export function throttledMessages(
  run: { workflow: Workflow; userId: string | null },
  throttle: { stepId: string; count: number; limit: number; now: number },
): sql.MessageEntry[] {
  const detail: JsonValue = { throttle: throttle.stepId, count: throttle.count, limit: throttle.limit };
  const at = new Date(throttle.now).toISOString();
  return heldByThrottle(run.workflow.steps, throttle.stepId).map(({ send, channel }) => ({
    id: newTimeOrderedId(),
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
  }));
}
