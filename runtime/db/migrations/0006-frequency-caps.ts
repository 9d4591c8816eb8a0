/**
 * Migration 6: frequency caps (runtime/delivery/frequency.ts). A nullable column, nothing rewritten: PostgreSQL
 * adds it to the partitioned table and every day's partition as a change of the catalogue alone, so an upgrade
 * applies it online.
 */
export const sql = `
-- The preference category of the workflow that sent the message, as it was when it was sent: a category cap
-- counts by it. Recorded rather than looked up through the bundle's workflows because a run keeps its bundle
-- version (a workflow may have changed category since) and ad-hoc workflows are not in the bundle. Null for
-- messages of workflows without a category, and for messages logged before this release.
ALTER TABLE herald.messages ADD COLUMN IF NOT EXISTS category text;
`;
