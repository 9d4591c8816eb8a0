/**
 * Migration 11: the read schema (runtime/outbox/read-schema.md). Views in a schema of their own, over the message
 * log's partitioned parent and the runs, for a warehouse or BI tool to read directly. Their columns are a
 * contract kept across releases (test/outbox/read-views.test.ts pins them): a later release may add columns at
 * the end, never rename, retype or drop one.
 */
export const sql = `
CREATE SCHEMA IF NOT EXISTS herald_views;

CREATE OR REPLACE VIEW herald_views.messages AS
  SELECT m.id AS message_id, m.run_id, m.workflow, m.step_id, m.channel, m.template, m.category, m.user_id, m.tenant_id,
         m.provider, m.provider_message_id, m.status, m.reason, m.created_at, m.updated_at
  FROM herald.messages m;

CREATE OR REPLACE VIEW herald_views.runs AS
  SELECT r.id AS run_id, r.workflow, r.bundle_version, r.user_id, r.tenant_id, r.status, r.trigger_event, r.created_at, r.updated_at
  FROM herald.runs r;

-- One row per entry of a message's history: its statuses and the reports that are not statuses (unsubscribed,
-- deferred, spam reports), in the order they were recorded.
CREATE OR REPLACE VIEW herald_views.message_events AS
  SELECT m.id AS message_id, h.n::integer AS seq, h.value->>'status' AS event,
         CASE WHEN h.value->>'at' ~ '^\\d{4}-\\d{2}-\\d{2}T' THEN (h.value->>'at')::timestamptz END AS at,
         m.run_id, m.workflow, m.channel, m.user_id, m.tenant_id, h.value->>'provider' AS provider, h.value AS detail
  FROM herald.messages m
  CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(m.history) = 'array' THEN m.history ELSE '[]'::jsonb END) WITH ORDINALITY AS h (value, n);
`;
