/**
 * Workflow-level changes to `cancelOn`, by event: cancelled by an event now, no longer, or by the same event
 * with another `match` (added, changed or removed).
 */
import type { CancelOn, EventMatch, Workflow } from '../bundle/schema.ts';
import { cancelOnEvent, cancelOnMatch } from '../bundle/match.ts';
import { eventMatch } from '../graph/describe.ts';
import type { Change } from './model.ts';
import { change, same } from './records.ts';
import { arrow, code } from './words.ts';

/** Event → the matches of its entries (null: any such event of the user), in the order written. */
function byEvent(entries: readonly CancelOn[]): Map<string, (EventMatch | null)[]> {
  const out = new Map<string, (EventMatch | null)[]>();
  for (const entry of entries) out.set(cancelOnEvent(entry), [...(out.get(cancelOnEvent(entry)) ?? []), cancelOnMatch(entry)]);
  return out;
}

const matchText = (matches: readonly (EventMatch | null)[]) => matches.map((m) => (m ? eventMatch(m) : 'any')).join('; ');

/** The event's entries as the bundle holds them (a name, or `{ event, match }`); one entry alone, not in a list. */
function written(event: string, matches: readonly (EventMatch | null)[]): CancelOn | CancelOn[] {
  const entries = matches.map((match): CancelOn => (match ? { event, match } : event));
  return entries.length === 1 ? entries[0]! : entries;
}

export function cancelOnChanges(before: Workflow, after: Workflow): Change[] {
  const a = byEvent(before.cancelOn);
  const b = byEvent(after.cancelOn);
  const changes: Change[] = [];
  for (const [event, matches] of b) {
    const was = a.get(event);
    const keyed = matches.some((m) => m !== null) ? ` ${matchText(matches)}` : '';
    if (!was) changes.push(change(`cancelOn.${event}`, `now cancelled by ${code(event)}${keyed}`, undefined, written(event, matches)));
    else if (!same(was, matches)) {
      changes.push(
        change(
          `cancelOn.${event}.match`,
          `cancelled by ${code(event)}: match ${arrow(code(matchText(was)), code(matchText(matches)))}`,
          written(event, was),
          written(event, matches),
        ),
      );
    }
  }
  for (const [event, matches] of a) {
    if (!b.has(event)) changes.push(change(`cancelOn.${event}`, `no longer cancelled by ${code(event)}`, written(event, matches), undefined));
  }
  return changes;
}

/**
 * Events whose `cancelOn` lost its match: keyed before, and now some entry for it has none. Every such event of
 * the user then cancels every run, so runs about other carts, orders… start cancelling each other.
 */
export function cancelOnMatchesRemoved(before: Workflow, after: Workflow): string[] {
  const a = byEvent(before.cancelOn);
  return [...byEvent(after.cancelOn)]
    .filter(([event, matches]) => matches.includes(null) && (a.get(event) ?? []).length > 0 && !(a.get(event) ?? []).includes(null))
    .map(([event]) => event);
}
