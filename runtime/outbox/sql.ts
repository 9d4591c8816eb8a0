/**
 * Every statement of outbound endpoints and their deliveries, as pure functions returning text and values
 * (db/sql.ts's way). Nothing here executes. The outbox itself is written by triggers (migration 10).
 */
import type { Statement } from '../db/sql-client.ts';

const s = (text: string, ...values: unknown[]): Statement => ({ text, values });

export interface EndpointRow {
  id: string;
  kind: 'webhook' | 'segment';
  url: string | null;
  secret: string | null;
  event_types: string[] | null;
  description: string | null;
  enabled: boolean;
  created_at: Date;
  updated_at: Date;
}

/** Enabled webhook endpoints fewer than `maxEnabled`: a new one (enabled), else no row. */
export const insertEndpoint = (url: string, secret: string, eventTypes: string[] | null, description: string | null, maxEnabled: number) =>
  s(
    `INSERT INTO herald.outbound_endpoints (kind, url, secret, event_types, description)
     SELECT 'webhook', $1, $2, $3, $4
     WHERE (SELECT count(*) FROM herald.outbound_endpoints WHERE kind = 'webhook' AND enabled) < $5
     RETURNING *`,
    url,
    secret,
    eventTypes,
    description,
    maxEnabled,
  );
export const endpointById = (id: string) => s('SELECT * FROM herald.outbound_endpoints WHERE id = $1', id);
export const webhookEndpoints = () => s(`SELECT * FROM herald.outbound_endpoints WHERE kind = 'webhook' ORDER BY created_at, id`);
export const rotateSecret = (id: string, secret: string) =>
  s(`UPDATE herald.outbound_endpoints SET secret = $2, updated_at = now() WHERE id = $1 AND kind = 'webhook' RETURNING *`, id, secret);
/** Enabling an endpoint while `maxEnabled` others are enabled changes nothing (the caller reads the row to tell why). */
export const setEnabled = (id: string, enabled: boolean, maxEnabled: number) =>
  s(
    `UPDATE herald.outbound_endpoints SET enabled = $2, updated_at = now()
     WHERE id = $1 AND kind = 'webhook'
       AND (NOT $2 OR enabled OR (SELECT count(*) FROM herald.outbound_endpoints WHERE kind = 'webhook' AND enabled) < $3)
     RETURNING *`,
    id,
    enabled,
    maxEnabled,
  );

/** The built-in Segment destination: one row of kind 'segment', enabled while its write key is set. */
export const setSegmentDestination = (enabled: boolean, eventTypes: readonly string[]) =>
  s(
    `WITH existing AS (
       UPDATE herald.outbound_endpoints SET enabled = $1, event_types = $2, updated_at = now()
       WHERE kind = 'segment' AND (enabled IS DISTINCT FROM $1 OR event_types IS DISTINCT FROM $2::text[]) RETURNING id
     )
     INSERT INTO herald.outbound_endpoints (kind, event_types, enabled, description)
     SELECT 'segment', $2, $1, 'Segment destination (SEGMENT_DESTINATION_WRITE_KEY)'
     WHERE $1 AND NOT EXISTS (SELECT 1 FROM herald.outbound_endpoints WHERE kind = 'segment')`,
    enabled,
    eventTypes,
  );

export interface ClaimedRow {
  id: string;
  endpoint_id: string;
  event_id: string;
  attempts: number;
  created_at: Date;
  kind: 'webhook' | 'segment';
  url: string | null;
  secret: string | null;
  type: string;
  data: Record<string, unknown>;
  event_created_at: Date;
}

/**
 * Leases up to `limit` deliverable heads: for each (endpoint, user), its oldest pending delivery, if it is due
 * and not leased. A later event of the user waits behind it, so each user's events arrive in order; other users'
 * and other endpoints' do not wait. The lease lapses if the process dies while posting.
 *
 * At most `perEndpoint` deliveries of one endpoint are leased at once (its heads already leased count), so a slow
 * or dead endpoint with many users' heads cannot take every slot and starve the others. (A leased delivery is
 * always its user's head, so the heads alone tell how many are in flight. Two processes claiming at the same
 * instant may each see the same count: the cap is per claim, exact within one process.)
 */
export const claimHeads = (limit: number, leaseMs: number, perEndpoint: number) =>
  s(
    `WITH heads AS (
       SELECT DISTINCT ON (d.endpoint_id, d.user_key) d.id, d.endpoint_id, d.next_attempt_at, d.locked_until
       FROM herald.outbound_deliveries d JOIN herald.outbound_endpoints e ON e.id = d.endpoint_id AND e.enabled
       WHERE d.state = 'pending'
       ORDER BY d.endpoint_id, d.user_key, d.event_seq
     ), busy AS (
       SELECT endpoint_id, count(*) FILTER (WHERE locked_until >= now()) AS n FROM heads GROUP BY endpoint_id
     ), ready AS (
       SELECT h.id, h.next_attempt_at, b.n AS busy,
              row_number() OVER (PARTITION BY h.endpoint_id ORDER BY h.next_attempt_at, h.id) AS rank
       FROM heads h JOIN busy b ON b.endpoint_id = h.endpoint_id
       WHERE h.next_attempt_at <= now() AND (h.locked_until IS NULL OR h.locked_until < now())
     ), due AS (
       SELECT d.id FROM herald.outbound_deliveries d JOIN ready r ON r.id = d.id
       WHERE r.busy + r.rank <= $3
       ORDER BY r.next_attempt_at LIMIT $1
       FOR UPDATE OF d SKIP LOCKED
     ), leased AS (
       UPDATE herald.outbound_deliveries d SET locked_until = now() + $2 * interval '1 millisecond', attempts = d.attempts + 1
       FROM due WHERE d.id = due.id AND d.state = 'pending'
       RETURNING d.id, d.endpoint_id, d.event_id, d.attempts, d.created_at
     )
     SELECT l.id, l.endpoint_id, l.event_id, l.attempts, l.created_at, e.kind, e.url, e.secret, ev.type, ev.data, ev.created_at AS event_created_at
     FROM leased l JOIN herald.outbound_endpoints e ON e.id = l.endpoint_id JOIN herald.outbound_events ev ON ev.id = l.event_id`,
    limit,
    leaseMs,
    perEndpoint,
  );

/** An attempt's outcome: delivered, retried after `retryInMs`, or dead (null retry and not ok). */
export const recordAttempt = (
  deliveryId: string,
  outcome: { ok: boolean; statusCode: number | null; error: string | null; durationMs: number; retryInMs: number | null },
) =>
  s(
    // The attempt is written only for a delivery still there: its user may have been deleted while it was posted.
    `WITH moved AS (
       UPDATE herald.outbound_deliveries SET
         state = CASE WHEN $5 THEN 'delivered' WHEN $6::bigint IS NULL THEN 'dead' ELSE 'pending' END,
         next_attempt_at = CASE WHEN $6::bigint IS NULL THEN next_attempt_at ELSE now() + $6 * interval '1 millisecond' END,
         finished_at = CASE WHEN $5 OR $6::bigint IS NULL THEN now() END,
         locked_until = NULL, last_error = $3
       WHERE id = $1 RETURNING id
     )
     INSERT INTO herald.outbound_attempts (delivery_id, status_code, error, duration_ms) SELECT id, $2, $3, $4 FROM moved`,
    deliveryId,
    outcome.statusCode,
    outcome.error,
    Math.round(outcome.durationMs),
    outcome.ok,
    outcome.retryInMs === null ? null : Math.round(outcome.retryInMs),
  );

/**
 * Replay: a new delivery to this endpoint for each event after the cursor (a time, or an event id: the events
 * after it) of the types it subscribes to, oldest first, at most `limit` of them; an event already pending for
 * this endpoint is skipped (a second call does not queue it twice). Same event ids, so a receiver that already
 * has one drops it. Answers one row: how many were queued, whether more are left past the cap, and the last
 * event queued (the cursor to continue from).
 */
export const replaySince = (endpointId: string, since: { at: string } | { eventId: string }, limit: number) =>
  s(
    `WITH candidates AS (
       SELECT ev.id, ev.seq, ev.user_id
       FROM herald.outbound_events ev JOIN herald.outbound_endpoints e ON e.id = $1
       WHERE (e.event_types IS NULL OR ev.type = ANY (e.event_types))
         AND ${'at' in since ? 'ev.created_at >= $2::timestamptz' : 'ev.seq > (SELECT seq FROM herald.outbound_events WHERE id = $2::uuid)'}
         AND NOT EXISTS (SELECT 1 FROM herald.outbound_deliveries d WHERE d.event_id = ev.id AND d.endpoint_id = e.id AND d.state = 'pending')
       ORDER BY ev.seq LIMIT $3 + 1
     ), queued AS (
       INSERT INTO herald.outbound_deliveries (endpoint_id, event_id, event_seq, user_key)
       SELECT $1, id, seq, coalesce(user_id, '') FROM candidates ORDER BY seq LIMIT $3
       RETURNING event_id, event_seq
     )
     SELECT (SELECT count(*) FROM queued)::int AS queued,
            (SELECT count(*) FROM candidates) > $3 AS more,
            (SELECT event_id FROM queued ORDER BY event_seq DESC LIMIT 1) AS last_event_id`,
    endpointId,
    'at' in since ? since.at : since.eventId,
    limit,
  );

/** A deleted user's events leave the outbox, with their deliveries and attempts (cascade): nothing to replay. */
export const deleteUserEvents = (userId: string) => s('DELETE FROM herald.outbound_events WHERE user_id = $1', userId);

/**
 * Retention, one batch: events older than `before` that no endpoint still waits to be sent (no pending delivery),
 * with their delivered and dead deliveries and attempts (cascade). Returns how many went; the caller repeats
 * while a batch comes back full, so no statement holds locks on more than `batch` events.
 */
export const deleteOldEvents = (before: Date, batch: number) =>
  s(
    `WITH old AS (
       SELECT ev.id FROM herald.outbound_events ev
       WHERE ev.created_at < $1
         AND NOT EXISTS (SELECT 1 FROM herald.outbound_deliveries d WHERE d.event_id = ev.id AND d.state = 'pending')
       ORDER BY ev.created_at LIMIT $2
       FOR UPDATE OF ev SKIP LOCKED
     ), gone AS (DELETE FROM herald.outbound_events ev USING old WHERE ev.id = old.id RETURNING 1)
     SELECT count(*)::int AS n FROM gone`,
    before,
    batch,
  );

export interface DeliveryView {
  id: string;
  event_id: string;
  type: string;
  user_key: string;
  state: string;
  attempts: number;
  next_attempt_at: Date;
  last_error: string | null;
  created_at: Date;
  finished_at: Date | null;
}

/** An endpoint's latest deliveries, newest first, for the dashboard and the API. */
export const recentDeliveries = (endpointId: string, limit: number) =>
  s(
    `SELECT d.id, d.event_id, ev.type, d.user_key, d.state, d.attempts, d.next_attempt_at, d.last_error, d.created_at, d.finished_at
     FROM herald.outbound_deliveries d JOIN herald.outbound_events ev ON ev.id = d.event_id
     WHERE d.endpoint_id = $1 ORDER BY d.id DESC LIMIT $2`,
    endpointId,
    limit,
  );

export interface AttemptView {
  delivery_id: string;
  at: Date;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
}

/**
 * Each endpoint's latest `perEndpoint` deliveries, newest first: one bounded read of its index per endpoint,
 * for the dashboard's page.
 */
export const latestDeliveries = (perEndpoint: number) =>
  s(
    `SELECT d.endpoint_id, d.id, d.event_id, ev.type, d.user_key, d.state, d.attempts, d.next_attempt_at, d.last_error, d.created_at, d.finished_at
     FROM herald.outbound_endpoints e
     CROSS JOIN LATERAL (SELECT * FROM herald.outbound_deliveries d WHERE d.endpoint_id = e.id ORDER BY d.id DESC LIMIT $1) d
     JOIN herald.outbound_events ev ON ev.id = d.event_id
     ORDER BY d.endpoint_id, d.id DESC`,
    perEndpoint,
  );

export const attemptsOf = (deliveryIds: string[]) =>
  s('SELECT delivery_id, at, status_code, error, duration_ms FROM herald.outbound_attempts WHERE delivery_id = ANY($1::bigint[]) ORDER BY at', deliveryIds);

/**
 * Every endpoint with how many deliveries it has pending, counted up to `cap` (from the pending heads' index):
 * a dead endpoint's days of backlog are not read whole each time the page is shown.
 */
export const endpointsWithPending = (cap: number) =>
  s(
    `SELECT e.*, (SELECT count(*) FROM (SELECT 1 FROM herald.outbound_deliveries d WHERE d.endpoint_id = e.id AND d.state = 'pending' LIMIT $1) p)::int AS pending
     FROM herald.outbound_endpoints e ORDER BY e.kind DESC, e.created_at, e.id`,
    cap,
  );
