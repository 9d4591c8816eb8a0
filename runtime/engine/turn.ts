/**
 * One call of `advance` works on a "turn": a private clone of the run state plus the actions it produces.
 * Helpers here mutate only that clone, so the engine stays pure from the outside.
 */
import type { Bundle, JsonValue, Workflow } from '../../compiler/bundle/schema.ts';
import { stepOver } from './cursor.ts';
import type { Action, RunState, UserSnapshot, Waiting } from './types.ts';

export interface Turn {
  state: RunState;
  actions: Action[];
  bundle: Bundle;
  workflow: Workflow;
  /** The user snapshot, updated in place by this turn's `updateProfile` steps so later steps see the change. */
  user: UserSnapshot;
  /** The fact's time: every history entry and timer is relative to it. */
  now: number;
}

/** History entries for the run as a whole (start, end) use this empty step id. */
export const RUN = '';

export function record(turn: Turn, stepId: string, kind: string, outcome: string, detail?: Record<string, JsonValue>): void {
  turn.state.history.push({ at: turn.now, stepId, kind, outcome, ...(detail === undefined ? {} : { detail }) });
}

/** Block the run until the driver replies (or a timer fires). */
export function block(turn: Turn, waiting: Waiting): void {
  turn.state.waiting = waiting;
  turn.state.status = 'waiting';
}

/** Block on a timer at `at`: emits the schedule action with a token unique within the run. */
export function blockOnTimer(turn: Turn, stepId: string, kind: Waiting['kind'], at: number): void {
  turn.state.seq += 1;
  const token = `${stepId}@${turn.state.seq}`;
  turn.actions.push({ type: 'schedule', at, token, stepId });
  block(turn, { stepId, kind, until: at, token });
}

/** The wait is over: the run goes on from the current step (`next`: after it). */
export function resume(turn: Turn, next: boolean): void {
  turn.state.waiting = null;
  turn.state.status = 'running';
  if (next) stepOver(turn.state.cursor);
}

export function end(turn: Turn, status: 'completed' | 'cancelled' | 'failed', reason?: string, detail?: Record<string, JsonValue>): void {
  turn.state.status = status;
  turn.state.waiting = null;
  const info = { ...(reason === undefined ? {} : { reason }), ...detail };
  record(turn, RUN, 'run', status, Object.keys(info).length > 0 ? info : undefined);
  turn.actions.push({ type: 'finished', status, ...(reason === undefined ? {} : { reason }) });
}

export function isStarted(state: RunState): boolean {
  return state.history.some((h) => h.stepId === RUN && h.kind === 'run' && h.outcome === 'started');
}

export function isFinished(state: RunState): boolean {
  return state.status === 'completed' || state.status === 'cancelled' || state.status === 'failed';
}
