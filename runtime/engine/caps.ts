/**
 * Frequency caps across workflows (`settings.limits`). The engine decides which caps a message on a channel
 * counts against; the driver counts the user's recent sends (the database, or memory in virtual time) and asks
 * `frequencySkip` whether the channel is over — one decision, whichever driver supplies the counts.
 */
import type { Bundle, Channel, JsonValue, SendStep, Workflow } from '../../compiler/bundle/schema.ts';
import { countsToward, limitName } from '../../compiler/bundle/limits.ts';
import type { FrequencyCap } from './types.ts';

/**
 * The caps a send on `channel` is held to: those of the channel and of the workflow's category. None for a
 * `critical` send or a workflow in a `required` category (a security code must arrive, however many came before).
 */
export function capsFor(bundle: Bundle, workflow: Workflow, step: SendStep, channel: Channel): FrequencyCap[] {
  const limits = bundle.settings.limits ?? [];
  if (limits.length === 0 || step.critical) return [];
  const category = workflow.category ?? null;
  if (category !== null && bundle.categories[category]?.required === true) return [];
  return limits.filter((limit) => countsToward(limit, { channel, category })).map((limit) => ({ ...limit, name: limitName(limit) }));
}

export interface FrequencySkip {
  reason: 'frequency_cap';
  detail: { cap: string; count: number } & Record<string, JsonValue>;
}

/**
 * The first cap already reached, given `counts[i]`: the user's sends within `caps[i]`'s window, this one not
 * included. Reached means `max` were sent, so this one would be the `max + 1`-th. Null: the send may go.
 */
export function frequencySkip(caps: readonly FrequencyCap[], counts: readonly number[]): FrequencySkip | null {
  for (const [i, cap] of caps.entries()) {
    const count = counts[i] ?? 0;
    if (count >= cap.max) return { reason: 'frequency_cap', detail: { cap: cap.name, count } };
  }
  return null;
}
