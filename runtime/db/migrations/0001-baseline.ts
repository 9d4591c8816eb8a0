/**
 * Migration 1, the baseline: every table of the releases before versioned migrations, written so that it
 * can run on any of their databases (IF NOT EXISTS, guarded ALTERs): an upgrade from one of them applies it,
 * finds what is already there, adds what is missing, and records it. Never edit it: later changes are new
 * migrations.
 */
export const sql = `
CREATE SCHEMA IF NOT EXISTS herald;

CREATE TABLE IF NOT EXISTS herald.bundles (
  version text PRIMARY KEY,
  bundle jsonb NOT NULL,
  loaded_at timestamptz NOT NULL DEFAULT now(),
  live boolean NOT NULL DEFAULT false
);

CREATE TABLE IF NOT EXISTS herald.users (
  id text PRIMARY KEY,
  email text,
  phone_number text,
  push_tokens jsonb NOT NULL DEFAULT '[]',
  locale text,
  timezone text,
  traits jsonb NOT NULL DEFAULT '{}',
  sms_opt_out boolean NOT NULL DEFAULT false,
  last_active_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS herald.preferences (
  user_id text NOT NULL,
  category text NOT NULL,
  channel text NOT NULL,
  allowed boolean NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, category, channel)
);

CREATE TABLE IF NOT EXISTS herald.runs (
  id uuid PRIMARY KEY,
  workflow text NOT NULL,
  bundle_version text NOT NULL REFERENCES herald.bundles(version),
  user_id text,
  recipient jsonb,
  status text NOT NULL,
  state jsonb NOT NULL,
  trigger_event text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
-- Ad-hoc runs (the Courier-compatible /send) carry their own workflow and templates; one request may
-- start runs for several recipients.
ALTER TABLE herald.runs ADD COLUMN IF NOT EXISTS definition jsonb;
ALTER TABLE herald.runs ADD COLUMN IF NOT EXISTS request_id uuid;
CREATE INDEX IF NOT EXISTS runs_by_request ON herald.runs (request_id) WHERE request_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS runs_active_by_user ON herald.runs (user_id) WHERE status IN ('running', 'waiting');
CREATE INDEX IF NOT EXISTS runs_by_created ON herald.runs (created_at DESC);
-- A run started by the process that accepted its trigger, right after the commit (runtime/execution/local-starts.ts),
-- has no start job: start_pending marks it until its start is applied, so one whose process died first is
-- found (by the partial index, which holds only such runs) and handed to the queue.
ALTER TABLE herald.runs ADD COLUMN IF NOT EXISTS start_pending boolean NOT NULL DEFAULT false;
CREATE INDEX IF NOT EXISTS runs_start_pending ON herald.runs (created_at) WHERE start_pending;

CREATE TABLE IF NOT EXISTS herald.messages (
  id uuid PRIMARY KEY,
  run_id uuid NOT NULL,
  step_id text NOT NULL,
  channel text NOT NULL,
  workflow text NOT NULL,
  template text NOT NULL,
  user_id text,
  provider text,
  provider_message_id text,
  status text NOT NULL,
  reason text,
  history jsonb NOT NULL DEFAULT '[]',
  provider_response jsonb,
  content jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (run_id, step_id, channel)
);
-- Several messages are logged in one transaction (a run's skipped channels, a throttle's held-back sends):
-- the statement's clock, not the transaction's, keeps them in the order they were logged.
-- (Checked first: ALTER TABLE locks the table, and every start runs this.)
DO $$ BEGIN
  IF (SELECT column_default FROM information_schema.columns
      WHERE table_schema = 'herald' AND table_name = 'messages' AND column_name = 'created_at') <> 'clock_timestamp()' THEN
    ALTER TABLE herald.messages ALTER COLUMN created_at SET DEFAULT clock_timestamp();
  END IF;
END $$;
CREATE INDEX IF NOT EXISTS messages_by_user ON herald.messages (user_id, created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS messages_by_provider_id ON herald.messages (provider_message_id) WHERE provider_message_id IS NOT NULL;

CREATE TABLE IF NOT EXISTS herald.inbox (
  id uuid PRIMARY KEY,
  user_id text NOT NULL,
  message_id uuid NOT NULL UNIQUE,
  title text NOT NULL,
  body text NOT NULL,
  action_url text,
  read_at timestamptz,
  archived_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS inbox_by_user ON herald.inbox (user_id, created_at DESC);

CREATE TABLE IF NOT EXISTS herald.idempotency (
  key text PRIMARY KEY,
  request_hash text NOT NULL,
  status integer NOT NULL,
  response jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS herald.events (
  id bigserial PRIMARY KEY,
  message_id text UNIQUE,
  event text NOT NULL,
  user_id text,
  properties jsonb NOT NULL,
  run_ids jsonb NOT NULL DEFAULT '[]',
  received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS events_by_time ON herald.events (received_at);
-- Keyset pages of the events export (GET /v1/events/export).
CREATE INDEX IF NOT EXISTS events_by_time_id ON herald.events (received_at, id);

CREATE TABLE IF NOT EXISTS herald.digests (
  id bigserial PRIMARY KEY,
  workflow text NOT NULL,
  step_id text NOT NULL,
  user_id text NOT NULL,
  key text NOT NULL,
  owner_run uuid NOT NULL,
  items jsonb NOT NULL DEFAULT '[]',
  open boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX IF NOT EXISTS digests_one_open ON herald.digests (workflow, step_id, user_id, key) WHERE open;

CREATE TABLE IF NOT EXISTS herald.throttles (
  workflow text NOT NULL,
  step_id text NOT NULL,
  user_id text NOT NULL,
  key text NOT NULL,
  run_id uuid NOT NULL,
  at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS throttles_window ON herald.throttles (workflow, step_id, user_id, key, at);

CREATE INDEX IF NOT EXISTS users_by_phone ON herald.users (phone_number) WHERE phone_number IS NOT NULL;

-- Provider webhook events already applied, by the provider's own event identity (SendGrid's sg_event_id,
-- Twilio's MessageSid + status): providers deliver at least once, we apply exactly once.
CREATE TABLE IF NOT EXISTS herald.provider_events (
  dedupe_key text PRIMARY KEY,
  message_id uuid,
  received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS provider_events_by_time ON herald.provider_events (received_at);

-- ── ingest queue ──
-- Events the typed client (herald/client, DB mode) enqueues inside the customer's own transaction, so an
-- event exists exactly when their business write commits. The runtime (intake/ingest-queue.ts) deletes a
-- row in the transaction that accepts its event; an idempotency key already queued is not queued twice.
CREATE TABLE IF NOT EXISTS herald.ingest (
  id bigserial PRIMARY KEY,
  event text NOT NULL,
  user_id text NOT NULL,
  properties jsonb NOT NULL,
  message_id text,
  idempotency_key text UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now()
);
-- Queued events whose properties did not fit their schema in the live bundle: moved here (with zod's
-- issues) so they neither block the queue nor vanish; nothing reads them but people.
CREATE TABLE IF NOT EXISTS herald.ingest_rejected (
  id bigint PRIMARY KEY,
  event text NOT NULL,
  user_id text NOT NULL,
  properties jsonb NOT NULL,
  message_id text,
  idempotency_key text,
  issues jsonb NOT NULL,
  created_at timestamptz NOT NULL,
  rejected_at timestamptz NOT NULL DEFAULT now()
);

-- ── dashboard ──
-- Keyset pages of the message dashboard (runtime/dashboard/), newest first by (created_at, id): one index per
-- filter it offers, the filter's column first, so a filtered page is a range scan of an index in the page's
-- order and never a sort of the table. The user filter uses messages_by_user. The price is paid on writes:
-- five more index entries per message, and a status change (webhooks) can no longer be a HOT update.
CREATE INDEX IF NOT EXISTS messages_by_time ON herald.messages (created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS messages_by_status ON herald.messages (status, created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS messages_by_workflow ON herald.messages (workflow, created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS messages_by_channel ON herald.messages (channel, created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS messages_by_provider ON herald.messages (provider, created_at DESC, id DESC);
-- The workflow page: the newest runs of a workflow (per-step counts), and its runs in flight.
CREATE INDEX IF NOT EXISTS runs_by_workflow ON herald.runs (workflow, created_at DESC);
CREATE INDEX IF NOT EXISTS runs_active_by_workflow ON herald.runs (workflow, created_at DESC) WHERE status IN ('running', 'waiting');

-- ── inbox notifications ──
-- Any change to an inbox (an item added, read, unread, archived) NOTIFYs channel herald_inbox with the
-- user's id, once per user per statement. Postgres delivers it at commit to every runtime process's
-- listener, which wakes that user's open streams (runtime/inbox/hub.ts). A trigger rather than the insert
-- statement: writers other than ours are covered too.
CREATE OR REPLACE FUNCTION herald.inbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- pg_notify refuses payloads of 8000 bytes or more: such an id goes without live updates rather than
  -- failing the write.
  PERFORM pg_notify('herald_inbox', u.user_id) FROM (SELECT DISTINCT user_id FROM changed) AS u WHERE octet_length(u.user_id) < 8000;
  RETURN NULL;
END $$;
-- (Checked first: CREATE TRIGGER locks the table, and every start runs this.)
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = 'herald.inbox'::regclass AND tgname = 'inbox_notify_insert') THEN
    CREATE TRIGGER inbox_notify_insert AFTER INSERT ON herald.inbox
      REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION herald.inbox_notify();
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = 'herald.inbox'::regclass AND tgname = 'inbox_notify_update') THEN
    CREATE TRIGGER inbox_notify_update AFTER UPDATE ON herald.inbox
      REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION herald.inbox_notify();
  END IF;
END $$;

-- ── dashboard sessions ──
-- Signed-in dashboard sessions (runtime/dashboard/sessions.ts). The cookie's signature says who issued it; this
-- row says it is still open, so a logout in one process is seen by every process on the next request. The id
-- alone is no session: the cookie also needs the HMAC made with the runtime's secrets.
CREATE TABLE IF NOT EXISTS herald.dashboard_sessions (
  id text PRIMARY KEY,
  expires_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Who did what (runtime/audit/): admin and dashboard actions that change state, logins, keys in use.
CREATE TABLE IF NOT EXISTS herald.audit_log (
  id bigserial PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  actor text NOT NULL,
  action text NOT NULL,
  target text,
  ip text,
  details jsonb
);
CREATE INDEX IF NOT EXISTS audit_log_by_at ON herald.audit_log (at DESC, id DESC);

-- Inbound SMS already applied, by Twilio's MessageSid: a replayed STOP/START changes nothing twice.
CREATE TABLE IF NOT EXISTS herald.inbound_sms (
  message_sid text PRIMARY KEY,
  received_at timestamptz NOT NULL DEFAULT now()
);
`;
