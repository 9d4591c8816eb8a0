/**
 * Outbound lifecycle events, started once per runtime process (server.ts): the Segment destination's endpoint
 * row kept in step with SEGMENT_DESTINATION_WRITE_KEY, and the delivery workers on the process's pool: they issue
 * single statements (a claim, an attempt's outcome) and hold no connection while they post, so a slow endpoint
 * never holds one, and a pool of their own would only count against the server's max_connections.
 *
 * Environment: HERALD_OUTBOUND_WORKERS (posts in flight per process, default 16; 0: this process delivers
 * nothing, others do), HERALD_OUTBOUND_BACKOFF_MS (the first retry's delay, default 5000), HERALD_OUTBOUND_TIMEOUT_MS
 * (one attempt's deadline, default 10000),
 * SEGMENT_DESTINATION_WRITE_KEY (and SEGMENT_DESTINATION_HOST, Segment's API by default).
 */
import type { Database } from '../db/pool.ts';
import { exec } from '../db/sql-client.ts';
import { DEFAULTS, startOutboxWorker } from './worker.ts';
import { createSegmentDestination, SEGMENT_EVENT_TYPES } from './segment.ts';
import * as sql from './sql.ts';

export interface OutboxOptions {
  /** The process's pool (not closed at stop: its owner closes it). */
  db: Database;
  env: NodeJS.ProcessEnv;
  onError: (error: unknown) => void;
}

export interface Outbox {
  stop(): Promise<void>;
}

function positiveInt(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name}: "${raw}" is not a whole number ≥ 0`);
  return n;
}

export async function startOutbox(options: OutboxOptions): Promise<Outbox> {
  const { env } = options;
  const concurrency = positiveInt(env, 'HERALD_OUTBOUND_WORKERS', DEFAULTS.concurrency);
  const baseMs = positiveInt(env, 'HERALD_OUTBOUND_BACKOFF_MS', DEFAULTS.backoffBaseMs);
  const timeoutMs = positiveInt(env, 'HERALD_OUTBOUND_TIMEOUT_MS', DEFAULTS.timeoutMs);
  const writeKey = env.SEGMENT_DESTINATION_WRITE_KEY || null;
  const { db } = options;
  // The destination's row is what makes the triggers write its events; unset, it is disabled (kept, with its history).
  await exec(db, sql.setSegmentDestination(writeKey !== null, SEGMENT_EVENT_TYPES));
  const segment = writeKey ? createSegmentDestination(writeKey, env.SEGMENT_DESTINATION_HOST || undefined) : null;
  const worker =
    concurrency > 0
      ? startOutboxWorker(db, {
          concurrency,
          timeoutMs: Math.max(100, timeoutMs),
          backoffBaseMs: Math.max(1, baseMs),
          segment,
          onError: options.onError,
        })
      : null;
  return {
    async stop() {
      await worker?.stop();
      await segment?.close().catch(options.onError);
    },
  };
}
