/**
 * Migration 5: in-app engagement (runtime/inbox/README.md, "Engagement"). Two nullable columns, nothing rewritten:
 * PostgreSQL adds them to the partitioned table and every day's partition as a change of the catalogue alone, so
 * an upgrade applies it online.
 */
export const sql = `
-- When the item was first shown in an open list or stream (delivered_at) and when the list was opened on it
-- (seen_at). Each is a claim as much as a time: the statement that sets it from null is the one that reports the
-- engagement to the message and its run, so a list fetched a thousand times reports once. Null for items shown
-- before this release (they are reported the next time they are shown).
ALTER TABLE herald.inbox ADD COLUMN IF NOT EXISTS delivered_at timestamptz;
ALTER TABLE herald.inbox ADD COLUMN IF NOT EXISTS seen_at timestamptz;
`;
