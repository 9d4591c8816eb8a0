/**
 * Keyed waits and cancels: an event counts for a run only when, for every pair of the listener's `match`, the
 * event's value at the left path deep-equals the run's trigger value at the right path. A missing value on
 * either side never matches (an event without a cart id is about no cart). Matches are looked for among the
 * run's own user's events only, as unkeyed ones are: ids in event data may be guessed or forged by whoever sends
 * events for another user, so they never reach across users.
 */
import { listenersOf, valueAt } from '../../compiler/bundle/match.ts';
import type { EventMatch, JsonValue, Workflow } from '../../compiler/bundle/schema.ts';
import { jsonEqual } from './refs.ts';

export interface MatchCheck {
  holds: boolean;
  /** Event path → the event's value there (absent when the event lacks it): what the why-log shows. */
  seen: Record<string, JsonValue>;
  /** Event path → the trigger's value it had to equal (absent when the trigger lacks it). */
  expected: Record<string, JsonValue>;
}

export function checkMatch(match: EventMatch, eventData: Record<string, JsonValue>, triggerData: Record<string, JsonValue>): MatchCheck {
  // Null prototypes: the keys are paths from the bundle, only names here.
  const seen: Record<string, JsonValue> = Object.create(null);
  const expected: Record<string, JsonValue> = Object.create(null);
  let holds = true;
  for (const [eventPath, triggerPath] of Object.entries(match)) {
    const got = valueAt(eventData, eventPath);
    const want = valueAt(triggerData, triggerPath);
    if (got !== undefined) seen[eventPath] = got;
    if (want !== undefined) expected[eventPath] = want;
    if (got === undefined || want === undefined || !jsonEqual(got, want)) holds = false;
  }
  return { holds, seen, expected };
}

/**
 * Whether `event` reaches a run of `workflow` whose trigger data is `triggerData`: some listener for it has no
 * match, or has one that holds. (The engine decides the same way when the event is fed to the run.)
 */
export function eventReachesRun(workflow: Workflow, event: string, eventData: Record<string, JsonValue>, triggerData: Record<string, JsonValue>): boolean {
  return listenersOf(workflow).some((l) => l.event === event && (l.match === null || checkMatch(l.match, eventData, triggerData).holds));
}
