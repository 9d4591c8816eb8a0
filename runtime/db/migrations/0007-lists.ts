/**
 * Migration 7: lists (subscriptions) and the durable fan-out (runtime/lists/, runtime/recipients/). New tables and
 * one nullable column, nothing rewritten: an upgrade applies it online.
 */
export const sql = `
-- A list: members by user id. Ids are the caller's (project:123:watchers, a.b.c); patterns (a.b.*) match them
-- by prefix, so list ids are in C collation (byte order, whatever the database's locale), where a prefix is an
-- index range. User ids keep the database's collation, as herald.users' do: pages and cursors order by it.
CREATE TABLE IF NOT EXISTS herald.lists (
  id text COLLATE "C" PRIMARY KEY,
  name text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
-- A member need not have a profile yet: no foreign key to users (its runs wait for an address as any run does).
-- Members are paged and fanned out in user id order: the primary key serves a list's pages, the second index a
-- user's memberships (deleting a user, a pattern's members distinct by user).
CREATE TABLE IF NOT EXISTS herald.list_members (
  list_id text COLLATE "C" NOT NULL REFERENCES herald.lists (id) ON DELETE CASCADE,
  user_id text NOT NULL,
  data jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (list_id, user_id)
);
CREATE INDEX IF NOT EXISTS list_members_by_user ON herald.list_members (user_id);
-- A fan-out: one run per recipient of a source (a list, a list pattern, an audience), started page by page by
-- jobs of its own queue. The cursor (the last user id started) moves in the transaction that starts the page's
-- runs, so a crash neither skips nor repeats a recipient.
CREATE TABLE IF NOT EXISTS herald.fanouts (
  id uuid PRIMARY KEY,
  kind text NOT NULL,
  source jsonb NOT NULL,
  workflow text NOT NULL,
  bundle_version text NOT NULL REFERENCES herald.bundles (version),
  definition jsonb,
  data jsonb NOT NULL DEFAULT '{}',
  tenant text,
  request_id uuid,
  status text NOT NULL DEFAULT 'running',
  cursor text,
  planned integer NOT NULL DEFAULT 0,
  started integer NOT NULL DEFAULT 0,
  -- Recipients per page (null: the runtime's default, runtime/recipients/page.ts); a rate makes pages smaller.
  page_size integer,
  rate_per_minute integer,
  not_before timestamptz NOT NULL DEFAULT now(),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz
);
-- The runs a fan-out started (its progress, a broadcast's counts): only such runs are in the index.
ALTER TABLE herald.runs ADD COLUMN IF NOT EXISTS fanout_id uuid;
CREATE INDEX IF NOT EXISTS runs_by_fanout ON herald.runs (fanout_id) WHERE fanout_id IS NOT NULL;
`;
