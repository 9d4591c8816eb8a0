/**
 * A throttled run ends before its sends, so they would leave no trace in the user's message log. To answer
 * "why wasn't this sent?" there, the sends the throttle held back (the send steps after it in its own step
 * list) are logged as `skipped` with reason `throttled` and the count that decided it.
 */
import { randomUUID } from 'node:crypto';
import type { JsonValue, SendStep, Step, Workflow } from '../../compiler/bundle/schema.ts';
import * as sql from '../db/sql.ts';
import { exec, type SqlClient } from '../db/sql-client.ts';

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

export async function logThrottled(
  tx: SqlClient,
  run: { id: string; workflow: Workflow; userId: string | null },
  throttle: { stepId: string; count: number; limit: number; now: number },
): Promise<string[]> {
  const logged: string[] = [];
  const detail: JsonValue = { throttle: throttle.stepId, count: throttle.count, limit: throttle.limit };
  for (const send of sendsAfter(run.workflow.steps, throttle.stepId) ?? []) {
    // `single` would have tried its first channel; `all` every one.
    const channels = send.routing.method === 'all' ? send.routing.channels : send.routing.channels.slice(0, 1);
    for (const channel of channels) {
      await exec(tx, sql.claimMessage({
        id: randomUUID(),
        runId: run.id,
        stepId: send.id,
        channel,
        workflow: run.workflow.id,
        template: send.template,
        userId: run.userId,
        status: 'skipped',
        reason: 'throttled',
        history: [{ status: 'skipped', at: new Date(throttle.now).toISOString(), reason: 'throttled', detail }],
      }));
      logged.push(channel);
    }
  }
  return logged;
}
