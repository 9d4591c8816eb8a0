/**
 * A delay until a moment the run carries (`data.trial_ends_at`, `user.traits.renewal_date`) moved by an offset.
 * A moment still ahead is a timer; one already past — or missing, or unreadable — is the step's `ifPast`: go on
 * at once (`run`), or end the run completed (`skip`), with the reason in history either way.
 */
import type { DelayStep } from '../../compiler/bundle/schema.ts';
import { stepOver } from './cursor.ts';
import { readMoment } from './moment.ts';
import { resolveRef } from './refs.ts';
import { blockOnTimer, end, record, type Turn } from './turn.ts';
import type { JsonValue } from './types.ts';

export type DelayUntilStep = Extract<DelayStep, { until: unknown }>;

/** Unreadable values are kept in history for the reader, cut short: they come from outside. */
const shown = (value: JsonValue | undefined): JsonValue => (typeof value === 'string' ? value.slice(0, 100) : (value ?? null));

export function runDelayUntil(turn: Turn, step: DelayUntilStep): void {
  const ref = step.until.ref;
  const value = resolveRef(ref, { data: turn.state.data, user: turn.user });
  const moment = readMoment(value);
  if (!moment.ok) return notAhead(turn, step, moment.reason, { ref, ...(moment.reason === 'until_invalid' ? { value: shown(value) } : {}) });
  const until = moment.at + step.offsetMs;
  if (until <= turn.now) return notAhead(turn, step, 'until_past', { ref, until });
  record(turn, step.id, 'delay', 'waiting', { until, ref });
  blockOnTimer(turn, step.id, 'delay', until);
}

function notAhead(turn: Turn, step: DelayUntilStep, reason: string, detail: Record<string, JsonValue>): void {
  if (step.ifPast === 'skip') {
    record(turn, step.id, 'delay', 'skipped', { reason, ...detail });
    return end(turn, 'completed', reason, { stepId: step.id, ...detail });
  }
  record(turn, step.id, 'delay', 'passed', { reason, ...detail });
  stepOver(turn.state.cursor);
}
