/**
 * A message as the simulator logs it: where it went, and what it said when it was sent. Made from what the
 * in-memory driver delivered (runtime/memory-driver/deliver.ts), with times as offsets from the trigger.
 */
import type { DeliveredMessage } from '../../runtime/memory-driver/index.ts';

/** Where it went and what it said (`channel`, `template`, `status`, `provider`, `reason`, `detail`, `content`, as delivered). */
export interface SimMessage extends Omit<DeliveredMessage, 'messageId' | 'stepId' | 'attempts'> {
  /** Milliseconds after the trigger. */
  ms: number;
  /** The same offset, readable: `'+2h'`. */
  at: string;
  /** `run-1` is the run `simulate` started; later runs come from `event()` with the workflow's trigger. */
  run: string;
  step: string;
}

export function simMessage(run: string, when: { ms: number; at: string }, m: DeliveredMessage): SimMessage {
  return {
    ms: when.ms,
    at: when.at,
    run,
    step: m.stepId,
    channel: m.channel,
    template: m.template,
    status: m.status,
    provider: m.provider,
    ...(m.reason === undefined ? {} : { reason: m.reason }),
    ...(m.detail === undefined ? {} : { detail: m.detail }),
    ...(m.content === undefined ? {} : { content: m.content }),
  };
}
