/**
 * The runtime's side of the typed client's DB mode: events the customer enqueued in `herald.ingest`
 * inside their own transaction. A pass takes up to 100 rows (DELETE … FOR UPDATE SKIP LOCKED) and accepts
 * each through the intake (index.ts, `eventIn`) in the same transaction, so a row disappears exactly when its
 * event is accepted, and several runtimes drain one table without taking the same row twice.
 *
 * Passes are woken by LISTEN herald_ingest (the client's NOTIFY, delivered at its commit) and, as a floor
 * that needs no listener, by a poll every second. One pass runs at a time per process; a wake during a
 * pass runs another after it, and a full batch is followed at once by the next.
 *
 * Failures:
 * - Properties that do not fit the schema (InvalidEventError) cannot succeed on retry: the row moves to
 *   `herald.ingest_rejected` with zod's issues (same transaction) and is reported through onError.
 * - Any other error rolls the whole pass back: its rows stay queued and the next pass retries them. The
 *   same failure repeating (a database outage) is reported once until a pass succeeds.
 * - An Idempotency-Key is the same namespace as the HTTP API's (herald.idempotency): a row whose key was
 *   already used is dropped; reported when it was used for a different event.
 */
import type { Bundle, JsonValue } from '../../compiler/bundle/schema.ts';
import { listen } from '../db/listen.ts';
import type { Database } from '../db/pool.ts';
import * as sql from '../db/sql.ts';
import { exec, rows, type SqlClient } from '../db/sql-client.ts';
import type { BundleStore } from '../bundles.ts';
import type { EventInput } from './runs.ts';
import { InvalidEventError, prepareEvent } from './events.ts';
import type { Intake } from './index.ts';
import { requestKey } from './keys.ts';

export const INGEST_CHANNEL = 'herald_ingest';
const BATCH = 100;

export interface IngestConsumerOptions {
  /** How often the queue is looked at without a notification (default 1 000 ms). */
  pollMs?: number;
}

export interface IngestConsumer {
  /** Stops listening and polling, and waits for the pass in flight to commit or roll back. */
  stop(): Promise<void>;
}

export function startIngestConsumer(
  db: Database,
  intake: Intake,
  bundles: Pick<BundleStore, 'live'>,
  onError: (error: unknown) => void,
  options: IngestConsumerOptions = {},
): IngestConsumer {
  let stopped = false;
  let inFlight: Promise<void> | null = null;
  let wokenDuringPass = false;
  let lastReported: string | null = null;

  /** Reports a failure once until a pass succeeds: a poll every second must not flood the log in an outage. */
  const report = (error: unknown) => {
    const key = error instanceof Error ? error.message : String(error);
    if (key === lastReported) return;
    lastReported = key;
    onError(error);
  };

  const wake = () => {
    if (stopped) return;
    if (inFlight) {
      wokenDuringPass = true;
      return;
    }
    inFlight = (async () => {
      try {
        do {
          wokenDuringPass = false;
          while (!stopped && (await pass()) === BATCH);
        } while (wokenDuringPass && !stopped);
      } finally {
        inFlight = null;
      }
    })();
  };

  /** One transaction: claims a batch and accepts it. Returns how many rows it consumed (0 on failure). */
  async function pass(): Promise<number> {
    const bundle = bundles.live;
    if (!bundle) return 0;
    try {
      const consumed = await db.transaction(async (tx) => {
        const claimed = await rows<sql.IngestRow>(tx, sql.claimIngested(BATCH));
        claimed.sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
        for (const row of claimed) await accept(tx, bundle, row);
        return claimed.length;
      });
      lastReported = null;
      return consumed;
    } catch (error) {
      report(error);
      return 0;
    }
  }

  async function accept(tx: SqlClient, bundle: Bundle, row: sql.IngestRow): Promise<void> {
    // jsonb holds JSON by construction.
    const properties = row.properties as Record<string, JsonValue>;
    // Checked before the idempotency key is claimed, so a refused event does not use up its key.
    let input: EventInput;
    try {
      input = prepareEvent(bundle, { event: row.event, userId: row.user_id, properties, messageId: row.message_id });
    } catch (error) {
      if (!(error instanceof InvalidEventError)) throw error;
      await exec(tx, sql.rejectIngested(row, error.issues));
      onError(new Error(`ingest queue: row ${row.id} moved to herald.ingest_rejected: ${error.message}`, { cause: error }));
      return;
    }
    // The event as queued is the request its key guards.
    const key = row.idempotency_key ? requestKey(row.idempotency_key, JSON.stringify([row.event, row.user_id, row.properties, row.message_id])) : undefined;
    // A key already used drops the row: silently for the same event (a replay), reported for another.
    const outcome = await intake.eventIn(tx, input, key);
    if ('conflict' in outcome)
      onError(new Error(`ingest queue: row ${row.id} dropped: Idempotency-Key "${outcome.conflict}" was already used for another request`));
  }

  // ── the listener (db/listen.ts), on a session straight to PostgreSQL when DATABASE_URL is a pooler; the poll keeps the queue moving while it reconnects ──
  const listener = listen({ url: db.directUrl ?? db.url, channel: INGEST_CHANNEL, onNotify: wake, onListening: wake, onError: report });

  const poll = setInterval(wake, options.pollMs ?? 1_000);
  poll.unref();

  return {
    async stop() {
      stopped = true;
      clearInterval(poll);
      await listener.close();
      await inFlight;
    },
  };
}
