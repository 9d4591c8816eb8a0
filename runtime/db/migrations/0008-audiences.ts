/**
 * Migration 8: the indexes an audience's query reads (runtime/audiences/sql.ts). Nothing rewritten. They are built
 * inside the migration's transaction, which holds writes to herald.users while each builds (seconds per million
 * profiles); on a very large table, build them first by hand with CREATE INDEX CONCURRENTLY under the same names
 * and this migration finds them there (IF NOT EXISTS).
 */
export const sql = `
-- Trait equality and list-contains are written as traits @> '{"plan":"free"}': jsonb_path_ops serves exactly @>,
-- smaller and faster than the default GIN opclass.
CREATE INDEX IF NOT EXISTS users_traits_path ON herald.users USING gin (traits jsonb_path_ops);
-- A prefix (locale LIKE 'fr%') can use a btree only in text_pattern_ops whatever the database's collation; it serves
-- equality too.
CREATE INDEX IF NOT EXISTS users_locale_pattern ON herald.users (locale text_pattern_ops);
CREATE INDEX IF NOT EXISTS users_timezone ON herald.users (timezone);
-- Activity (activeWithin) and date comparisons are ranges.
CREATE INDEX IF NOT EXISTS users_last_active ON herald.users (last_active_at);
CREATE INDEX IF NOT EXISTS users_created ON herald.users (created_at);
-- Audience pages are read in byte order (COLLATE "C", as a fan-out's cursor compares ids), whatever the database's
-- collation: this index lets a page start at its cursor instead of sorting every match.
CREATE INDEX IF NOT EXISTS users_id_bytes ON herald.users (id COLLATE "C");
`;
