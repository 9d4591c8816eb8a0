/**
 * Migration 10: outbound lifecycle events (runtime/outbox/README.md). New tables, functions, statement triggers
 * and the read schema's views: nothing existing is rewritten, so an upgrade applies it online.
 *
 * The outbox is written by triggers on the tables whose changes it reports, so an event exists exactly when the
 * change it reports commits, whichever code path (or outside writer) made it. Each trigger first asks which of its
 * own event types some enabled endpoint takes (one probe of a table of a handful of rows): with none of them taken
 * (no endpoint, or only the Segment destination's engagement types for a run's change), a statement pays that
 * probe and nothing else; otherwise it builds the events of the types taken only.
 */
export const sql = `
-- Where events go: a signed webhook endpoint, or the built-in Segment destination (kind 'segment', no url).
-- event_types null: every type.
CREATE TABLE IF NOT EXISTS herald.outbound_endpoints (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  kind text NOT NULL DEFAULT 'webhook',
  url text,
  secret text,
  event_types text[],
  description text,
  enabled boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS outbound_endpoints_enabled ON herald.outbound_endpoints (id) WHERE enabled;

-- The outbox: one row per event, in commit-independent order by seq. Replays read it.
CREATE TABLE IF NOT EXISTS herald.outbound_events (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  seq bigserial NOT NULL UNIQUE,
  type text NOT NULL,
  user_id text,
  data jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX IF NOT EXISTS outbound_events_by_time ON herald.outbound_events (created_at);
-- A deleted user's events go with the user (users/delete.ts).
CREATE INDEX IF NOT EXISTS outbound_events_by_user ON herald.outbound_events (user_id) WHERE user_id IS NOT NULL;

-- One row per (endpoint, event): what the delivery workers work through, in seq order per (endpoint, user).
-- state: pending → delivered | dead. locked_until: a worker's lease while it posts (a crash lets it lapse).
CREATE TABLE IF NOT EXISTS herald.outbound_deliveries (
  id bigserial PRIMARY KEY,
  endpoint_id uuid NOT NULL REFERENCES herald.outbound_endpoints(id) ON DELETE CASCADE,
  event_id uuid NOT NULL REFERENCES herald.outbound_events(id) ON DELETE CASCADE,
  event_seq bigint NOT NULL,
  user_key text NOT NULL,
  state text NOT NULL DEFAULT 'pending',
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  locked_until timestamptz,
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz
);
CREATE INDEX IF NOT EXISTS outbound_deliveries_heads ON herald.outbound_deliveries (endpoint_id, user_key, event_seq) WHERE state = 'pending';
CREATE INDEX IF NOT EXISTS outbound_deliveries_by_endpoint ON herald.outbound_deliveries (endpoint_id, id DESC);
-- An event's deliveries: the cascade when it is deleted, replay's "already pending" and retention's "still wanted".
CREATE INDEX IF NOT EXISTS outbound_deliveries_by_event ON herald.outbound_deliveries (event_id, endpoint_id);

-- Every attempt, for the dashboard.
CREATE TABLE IF NOT EXISTS herald.outbound_attempts (
  id bigserial PRIMARY KEY,
  delivery_id bigint NOT NULL REFERENCES herald.outbound_deliveries(id) ON DELETE CASCADE,
  at timestamptz NOT NULL DEFAULT now(),
  status_code integer,
  error text,
  duration_ms integer NOT NULL
);
CREATE INDEX IF NOT EXISTS outbound_attempts_by_delivery ON herald.outbound_attempts (delivery_id, at);

-- Writes events ([{type, user_id, data}], in order) and a delivery per subscribed endpoint, in the caller's
-- transaction. The callers (the triggers below) have already checked that some enabled endpoint takes their types.
CREATE OR REPLACE FUNCTION herald.outbox_emit(items jsonb) RETURNS void LANGUAGE sql AS $$
  WITH wanted AS (
    SELECT i.value->>'type' AS type, i.value->>'user_id' AS user_id, i.value->'data' AS data, i.n
    FROM jsonb_array_elements(items) WITH ORDINALITY AS i (value, n)
    WHERE EXISTS (SELECT 1 FROM herald.outbound_endpoints e
                  WHERE e.enabled AND (e.event_types IS NULL OR (i.value->>'type') = ANY (e.event_types)))
    ORDER BY i.n
  ), written AS (
    INSERT INTO herald.outbound_events (type, user_id, data)
    SELECT type, user_id, data FROM wanted ORDER BY n
    RETURNING id, seq, type, user_id
  )
  INSERT INTO herald.outbound_deliveries (endpoint_id, event_id, event_seq, user_key)
  SELECT e.id, w.id, w.seq, coalesce(w.user_id, '')
  FROM written w JOIN herald.outbound_endpoints e ON e.enabled AND (e.event_types IS NULL OR w.type = ANY (e.event_types))
  ORDER BY w.seq;
$$;

-- Which of a trigger's event types some enabled endpoint takes (null: none). Read once per statement.
CREATE OR REPLACE FUNCTION herald.outbox_wanted(types text[]) RETURNS text[] LANGUAGE sql STABLE AS $$
  SELECT array_agg(DISTINCT t.type)
  FROM herald.outbound_endpoints e CROSS JOIN LATERAL unnest(coalesce(e.event_types, types)) AS t (type)
  WHERE e.enabled AND t.type = ANY (types)
$$;

-- A message's status, as the event type it is reported as (null: not reported).
CREATE OR REPLACE FUNCTION herald.outbox_message_type(status text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE status
    WHEN 'queued' THEN 'message.queued' WHEN 'sent' THEN 'message.sent' WHEN 'delivered' THEN 'message.delivered'
    WHEN 'opened' THEN 'message.opened' WHEN 'read' THEN 'message.opened' WHEN 'clicked' THEN 'message.clicked'
    WHEN 'bounced' THEN 'message.bounced' WHEN 'failed' THEN 'message.failed' WHEN 'undeliverable' THEN 'message.failed'
    WHEN 'skipped' THEN 'message.skipped' END
$$;

-- (Rows come as jsonb, not as the table's row type: the message log's parent is replaced when it is partitioned.)
CREATE OR REPLACE FUNCTION herald.outbox_message_data(m jsonb, status text, at text, detail jsonb) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
  SELECT jsonb_strip_nulls(jsonb_build_object(
    'message_id', m->'id', 'run_id', m->'run_id', 'workflow', m->'workflow', 'step_id', m->'step_id', 'channel', m->'channel',
    'template', m->'template', 'user_id', m->'user_id', 'tenant_id', m->'tenant_id', 'provider', m->'provider',
    'provider_message_id', m->'provider_message_id', 'subject', m->'content'->'subject', 'status', status, 'reason', m->'reason', 'at', at, 'detail', detail))
$$;

-- A message logged: one event per status its history starts with (queued then sent, or skipped).
CREATE OR REPLACE FUNCTION herald.outbox_messages_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE items jsonb;
  wanted text[] := herald.outbox_wanted(ARRAY['message.queued', 'message.sent', 'message.delivered', 'message.opened', 'message.clicked', 'message.bounced', 'message.failed', 'message.skipped']);
BEGIN
  IF wanted IS NULL THEN RETURN NULL; END IF;
  SELECT jsonb_agg(jsonb_build_object('type', t.type, 'user_id', m.user_id,
           'data', herald.outbox_message_data(to_jsonb(m), h.value->>'status', h.value->>'at', NULL)) ORDER BY m.created_at, m.id, h.n)
    INTO items
    FROM changed m
    CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(m.history) = 'array' THEN m.history ELSE '[]' END) WITH ORDINALITY AS h (value, n)
    CROSS JOIN LATERAL (SELECT herald.outbox_message_type(h.value->>'status') AS type) t
    WHERE t.type = ANY (wanted);
  IF items IS NOT NULL THEN PERFORM herald.outbox_emit(items); END IF;
  RETURN NULL;
END $$;

-- A message's status moved (a provider event, an engagement), or an unsubscribe was recorded on it.
CREATE OR REPLACE FUNCTION herald.outbox_messages_updated() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE items jsonb;
  wanted text[] := herald.outbox_wanted(ARRAY['message.queued', 'message.sent', 'message.delivered', 'message.opened', 'message.clicked', 'message.bounced', 'message.failed', 'message.skipped', 'user.unsubscribed']);
BEGIN
  IF wanted IS NULL THEN RETURN NULL; END IF;
  SELECT jsonb_agg(e.item ORDER BY e.at_order, e.k) INTO items FROM (
    SELECT n.created_at AS at_order, 1 AS k, jsonb_build_object('type', herald.outbox_message_type(n.status), 'user_id', n.user_id,
             'data', herald.outbox_message_data(to_jsonb(n), n.status, to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), n.history->-1)) AS item
      FROM after_rows n JOIN before_rows o ON o.id = n.id AND o.created_at = n.created_at
      WHERE n.status IS DISTINCT FROM o.status AND herald.outbox_message_type(n.status) = ANY (wanted)
    UNION ALL
    SELECT n.created_at, 2, jsonb_build_object('type', 'user.unsubscribed', 'user_id', n.user_id,
             'data', jsonb_strip_nulls(jsonb_build_object('user_id', n.user_id, 'message_id', n.id, 'channel', n.channel, 'workflow', n.workflow,
               'source', 'message', 'detail', n.history->-1)))
      FROM after_rows n JOIN before_rows o ON o.id = n.id AND o.created_at = n.created_at
      WHERE 'user.unsubscribed' = ANY (wanted)
        AND jsonb_array_length(n.history) > jsonb_array_length(o.history) AND n.history->-1->>'status' = 'unsubscribed'
  ) e;
  IF items IS NOT NULL THEN PERFORM herald.outbox_emit(items); END IF;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION herald.outbox_run_data(r jsonb) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
  SELECT jsonb_strip_nulls(jsonb_build_object('run_id', r->'id', 'workflow', r->'workflow', 'bundle_version', r->'bundle_version',
    'user_id', r->'user_id', 'tenant_id', r->'tenant_id', 'status', r->'status', 'trigger_event', r->'trigger_event'))
$$;

CREATE OR REPLACE FUNCTION herald.outbox_runs_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE items jsonb;
  wanted text[] := herald.outbox_wanted(ARRAY['run.started']);
BEGIN
  IF wanted IS NULL THEN RETURN NULL; END IF;
  SELECT jsonb_agg(jsonb_build_object('type', 'run.started', 'user_id', r.user_id, 'data', herald.outbox_run_data(to_jsonb(r))) ORDER BY r.created_at, r.id)
    INTO items FROM changed r;
  IF items IS NOT NULL THEN PERFORM herald.outbox_emit(items); END IF;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION herald.outbox_runs_updated() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE items jsonb;
  wanted text[] := herald.outbox_wanted(ARRAY['run.completed', 'run.cancelled', 'run.failed']);
BEGIN
  IF wanted IS NULL THEN RETURN NULL; END IF;
  SELECT jsonb_agg(jsonb_build_object('type', 'run.' || n.status, 'user_id', n.user_id, 'data', herald.outbox_run_data(to_jsonb(n))) ORDER BY n.id)
    INTO items
    FROM after_rows n JOIN before_rows o ON o.id = n.id
    WHERE n.status IS DISTINCT FROM o.status AND 'run.' || n.status = ANY (wanted);
  IF items IS NOT NULL THEN PERFORM herald.outbox_emit(items); END IF;
  RETURN NULL;
END $$;

-- A preference written (the preference center, the API, a one-click unsubscribe): one event per changed row.
CREATE OR REPLACE FUNCTION herald.outbox_preferences_written() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE items jsonb;
  wanted text[] := herald.outbox_wanted(ARRAY['preference.changed']);
BEGIN
  IF wanted IS NULL THEN RETURN NULL; END IF;
  SELECT jsonb_agg(jsonb_build_object('type', 'preference.changed', 'user_id', p.user_id,
           'data', jsonb_build_object('user_id', p.user_id, 'category', p.category, 'channel', p.channel, 'allowed', p.allowed)) ORDER BY p.user_id, p.category, p.channel)
    INTO items FROM changed p;
  IF items IS NOT NULL THEN PERFORM herald.outbox_emit(items); END IF;
  RETURN NULL;
END $$;

-- An SMS opt-out (a STOP, a provider's report): the user unsubscribed from SMS.
CREATE OR REPLACE FUNCTION herald.outbox_users_updated() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE items jsonb;
  wanted text[] := herald.outbox_wanted(ARRAY['user.unsubscribed']);
BEGIN
  IF wanted IS NULL THEN RETURN NULL; END IF;
  SELECT jsonb_agg(jsonb_build_object('type', 'user.unsubscribed', 'user_id', n.id,
           'data', jsonb_build_object('user_id', n.id, 'channel', 'sms', 'source', 'sms-opt-out')) ORDER BY n.id)
    INTO items
    FROM after_rows n JOIN before_rows o ON o.id = n.id
    WHERE n.sms_opt_out AND NOT o.sms_opt_out;
  IF items IS NOT NULL THEN PERFORM herald.outbox_emit(items); END IF;
  RETURN NULL;
END $$;

-- (The message log's triggers move to its partitioned parent with it: db/partitions.ts.)
CREATE TRIGGER outbox_messages_insert AFTER INSERT ON herald.messages
  REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION herald.outbox_messages_inserted();
CREATE TRIGGER outbox_messages_update AFTER UPDATE ON herald.messages
  REFERENCING OLD TABLE AS before_rows NEW TABLE AS after_rows FOR EACH STATEMENT EXECUTE FUNCTION herald.outbox_messages_updated();
CREATE TRIGGER outbox_runs_insert AFTER INSERT ON herald.runs
  REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION herald.outbox_runs_inserted();
CREATE TRIGGER outbox_runs_update AFTER UPDATE ON herald.runs
  REFERENCING OLD TABLE AS before_rows NEW TABLE AS after_rows FOR EACH STATEMENT EXECUTE FUNCTION herald.outbox_runs_updated();
CREATE TRIGGER outbox_preferences_insert AFTER INSERT ON herald.preferences
  REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION herald.outbox_preferences_written();
CREATE TRIGGER outbox_preferences_update AFTER UPDATE ON herald.preferences
  REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION herald.outbox_preferences_written();
CREATE TRIGGER outbox_users_update AFTER UPDATE ON herald.users
  REFERENCING OLD TABLE AS before_rows NEW TABLE AS after_rows FOR EACH STATEMENT EXECUTE FUNCTION herald.outbox_users_updated();
`;
