/**
 * The match keys of runs about to start (migration 4, `herald.run_match_keys`): one row per keyed listener of
 * each run — its event, and what that event's data must contain to reach the run. An accepted event then finds
 * its keyed runs by (user, event) and JSON containment, through an index, instead of reading each run's trigger.
 * The engine still decides each fact (jsonb containment is looser than equality for lists: the index only
 * narrows). Workflows without a match add no row, and runs without a user none either: only a user's own events
 * reach runs.
 */
import { expectedData, listenersOf } from '../../compiler/bundle/match.ts';
import type { JsonValue, Workflow } from '../../compiler/bundle/schema.ts';
import type { MatchKeyRow } from '../db/sql.ts';

export function matchKeysOf(input: {
  workflows: readonly Workflow[];
  runIds: readonly string[];
  userId: string | null;
  data: Record<string, JsonValue>;
}): MatchKeyRow[] {
  const userId = input.userId;
  if (userId === null) return [];
  return input.workflows.flatMap((workflow, i) => {
    const seen = new Set<string>();
    const keys: MatchKeyRow[] = [];
    for (const listener of listenersOf(workflow)) {
      // A trigger without the value can never match: nothing to index.
      const expected = listener.match && expectedData(listener.match, input.data);
      if (!expected) continue;
      const key = JSON.stringify([listener.event, expected]);
      if (seen.has(key)) continue;
      seen.add(key);
      keys.push({ run_id: input.runIds[i]!, user_id: userId, event: listener.event, expected });
    }
    return keys;
  });
}
