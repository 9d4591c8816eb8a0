/**
 * Migration 4: the index of keyed waits and cancels (`match`). A new table, nothing rewritten: an upgrade applies
 * it online.
 */
export const sql = `
-- One row per keyed listener of an active run (a cancelOn entry or an event waitFor with a match): the event it
-- listens to, and what that event's data must contain (the match's event-side paths filled with the trigger's
-- values). Written in the transaction that starts the run, deleted in the one that ends it, so an accepted event
-- finds its runs by (user, event) and containment, not by reading every run of the user. Only workflows with a
-- match write rows.
CREATE TABLE IF NOT EXISTS herald.run_match_keys (
  run_id uuid NOT NULL,
  user_id text NOT NULL,
  event text NOT NULL,
  expected jsonb NOT NULL
);
CREATE INDEX IF NOT EXISTS run_match_keys_by_user_event ON herald.run_match_keys (user_id, event);
CREATE INDEX IF NOT EXISTS run_match_keys_by_run ON herald.run_match_keys (run_id);
`;
