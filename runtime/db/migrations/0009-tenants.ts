/**
 * Migration 9: tenants (runtime/tenants). A new table, and nullable columns on runs, the message log and the
 * inbox: catalogue changes only (the partitioned tables take the column on every partition without a rewrite),
 * so an upgrade applies it online. The tenant filter's index on the message log is the partitions' own
 * (db/partitions.ts builds it on each day's partition, concurrently, like the dashboard's other filters).
 */
export const sql = `
-- A customer's workspace Herald sends on behalf of: its branding values (over the bundle's default brand, key by
-- key), its default preferences (category → channel → allowed, between the category default and the user's own
-- choice) and free properties. Data, managed by API (PUT /v1/tenants/:id, Courier's /tenants/:id), never code.
CREATE TABLE IF NOT EXISTS herald.tenants (
  id text PRIMARY KEY,
  name text,
  brand jsonb NOT NULL DEFAULT '{}',
  default_preferences jsonb NOT NULL DEFAULT '{}',
  properties jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
-- The tenant a run was started for (a trigger's \`tenant\`, a Courier send's context.tenant_id); null: none.
ALTER TABLE herald.runs ADD COLUMN IF NOT EXISTS tenant_id text;
-- Copied from the run when a message is logged, so the log filters by tenant without a join.
ALTER TABLE herald.messages ADD COLUMN IF NOT EXISTS tenant_id text;
-- An in-app item belongs to its message's tenant: an inbox token of another tenant does not list it.
ALTER TABLE herald.inbox ADD COLUMN IF NOT EXISTS tenant_id text;
`;
