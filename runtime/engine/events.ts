/**
 * What an event fact does to a run: ends it (a `cancelOn` entry that matches), ends the wait it is in (its
 * `waitFor` event, when the match holds), or is only recorded — with the keyed waits it satisfied, so that a
 * wait reached later counts it only if it matched that wait. History says which match held or did not.
 */
import { findStep } from '../../compiler/bundle/walk.ts';
import { type Listener, listenersOf } from '../../compiler/bundle/match.ts';
import type { JsonValue } from '../../compiler/bundle/schema.ts';
import { checkMatch, type MatchCheck } from './match.ts';
import { end, record, resume, RUN, type Turn } from './turn.ts';
import type { Fact } from './types.ts';

/** `recorded` (nothing to execute) or `resume` (a wait ended: execute steps from the cursor), as facts.ts applies facts. */
export function applyEvent(turn: Turn, fact: Extract<Fact, { type: 'event' }>): 'recorded' | 'resume' {
  const { state } = turn;
  const data = fact.data ?? {};
  const listeners = listenersOf(turn.workflow).filter((l) => l.event === fact.event);
  const checks = new Map<Listener, MatchCheck>();
  const check = (l: Listener & { match: NonNullable<Listener['match']> }): MatchCheck => {
    let result = checks.get(l);
    if (!result) checks.set(l, (result = checkMatch(l.match, data, state.data)));
    return result;
  };
  const keyed = (l: Listener): l is Listener & { match: NonNullable<Listener['match']> } => l.match !== null;
  const counts = (l: Listener) => !keyed(l) || check(l).holds;

  // Only written when the workflow has keyed waits for this event, so states without keys keep their shape.
  const keyedWaits = listeners.filter((l) => l.stepId !== null && keyed(l));
  state.events.push({ event: fact.event, at: fact.now, ...(keyedWaits.length ? { matched: keyedWaits.filter(counts).map((l) => l.stepId!) } : {}) });

  const at = state.waiting?.stepId ?? RUN;
  const cancels = listeners.filter((l) => l.stepId === null);
  const cancelling = cancels.find(counts);
  if (cancelling) {
    const detail = { event: fact.event, ...(keyed(cancelling) ? { match: check(cancelling).seen } : {}) };
    record(turn, at, 'event', 'cancelled', detail);
    end(turn, 'cancelled', `event "${fact.event}"`, detail);
    return 'recorded';
  }
  const missed = cancels.find(keyed);
  if (missed) record(turn, at, 'event', 'unmatched', unmatched(fact.event, check(missed)));

  const step = state.waiting?.kind === 'waitFor' ? findStep(turn.workflow.steps, state.waiting.stepId) : undefined;
  if (step?.kind !== 'waitFor' || step.until.type !== 'event' || step.until.event !== fact.event) return 'recorded';
  const wait = listeners.find((l) => l.stepId === step.id);
  if (wait && keyed(wait) && !check(wait).holds) {
    record(turn, step.id, 'waitFor', 'unmatched', unmatched(fact.event, check(wait)));
    return 'recorded';
  }
  record(turn, step.id, 'waitFor', 'matched', { event: fact.event, ...(wait && keyed(wait) ? { match: check(wait).seen } : {}) });
  resume(turn, true);
  return 'resume';
}

function unmatched(event: string, result: MatchCheck): Record<string, JsonValue> {
  return { event, match: result.seen, expected: result.expected };
}
