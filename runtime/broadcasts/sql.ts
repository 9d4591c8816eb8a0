/**
 * Every statement of broadcasts (progress read from a fan-out's runs and messages, the runs a cancel stops, the
 * dashboard's list), as pure functions returning text and values. Nothing here executes.
 */
import type { Statement } from '../db/sql-client.ts';

const s = (text: string, ...values: unknown[]): Statement => ({ text, values });

/** One row per outcome of a fan-out's runs: what became of each recipient, so each is counted once. */
export interface OutcomeRow {
  outcome: 'sent' | 'skipped' | 'failed' | 'cancelled' | 'pending';
  reason: string | null;
  n: number;
}

/**
 * Each run of the fan-out by its outcome: `sent` when a provider took one of its messages (sent or any later
 * status); else `skipped` with the reason of its last skipped message (preference, frequency_cap, no_address,
 * unsubscribed, …); else `failed` (a failed message, or a failed run); else `cancelled`; else `pending` (waiting
 * for its window, or not yet worked). Messages are read from the fan-out's creation on (partition pruning).
 */
export const fanoutOutcomes = (fanoutId: string, since: Date) =>
  s(
    `WITH r AS (SELECT id, status FROM herald.runs WHERE fanout_id = $1),
          m AS (SELECT m.run_id,
                       bool_or(m.status NOT IN ('queued', 'skipped', 'failed')) AS sent,
                       (array_agg(m.reason ORDER BY m.created_at DESC, m.id DESC) FILTER (WHERE m.status = 'skipped'))[1] AS skipped_reason,
                       bool_or(m.status = 'failed') AS failed
                  FROM herald.messages m JOIN r ON r.id = m.run_id
                 WHERE m.created_at >= $2::timestamptz - interval '1 hour'
                 GROUP BY m.run_id)
     SELECT outcome, reason, count(*)::int AS n FROM (
       SELECT CASE WHEN m.sent THEN 'sent'
                   WHEN m.skipped_reason IS NOT NULL THEN 'skipped'
                   WHEN m.failed OR r.status = 'failed' THEN 'failed'
                   WHEN r.status = 'cancelled' THEN 'cancelled'
                   WHEN r.status = 'completed' THEN 'skipped'
                   ELSE 'pending' END AS outcome,
              CASE WHEN m.sent THEN NULL
                   WHEN m.skipped_reason IS NOT NULL THEN m.skipped_reason
                   WHEN m.failed OR r.status <> 'completed' THEN NULL
                   ELSE 'nothing_sent' END AS reason
         FROM r LEFT JOIN m ON m.run_id = r.id) o
     GROUP BY outcome, reason ORDER BY outcome, reason`,
    fanoutId,
    since,
  );

/** The latest broadcast fan-outs, newest first (the dashboard's list; `workflow` is `broadcast:<id>`). */
export const recentBroadcastFanouts = (limit: number) =>
  s(`SELECT * FROM herald.fanouts WHERE kind = 'broadcast' ORDER BY created_at DESC, id DESC LIMIT $1`, limit);
