/**
 * Migration 3: what time partitioning needs in SQL. The tables themselves are turned into partitioned ones by
 * db/partitions.ts right after migrating, online (a migration runs in one transaction, and checking a large
 * table's rows against a partition bound must not happen under its lock).
 */
export const sql = `
-- The time a UUIDv7 carries (its first 48 bits, milliseconds since 1970); null for any other version (the
-- random ids of earlier releases). Messages and inbox items take their creation time from their id, so a
-- lookup by id names its partition: one index probe, not one per day kept.
CREATE OR REPLACE FUNCTION herald.uuid7_time(id uuid) RETURNS timestamptz
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  AS $$ SELECT CASE WHEN substr(id::text, 15, 1) = '7' THEN
    timestamptz 'epoch' + ('x' || lpad(substr(replace(id::text, '-', ''), 1, 12), 16, '0'))::bit(64)::bigint * interval '1 millisecond'
  END $$;
`;
