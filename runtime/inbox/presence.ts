/**
 * Presence from open inbox streams: `last_active_at`, which a workflow's `user.activeWithin(…)` reads.
 *
 * At most one write per user per `everyMs` (30 s) in this process, whatever the number of streams, tabs or
 * reconnects: reopening a stream in a loop must not turn into a loop of writes. The conditions ask about
 * minutes (`activeWithin('5m')`), so a value up to 30 s old answers them as well as a fresh one; a presence
 * inside the window is simply not written again. Open streams call `touch` on every tick of their clock
 * (about once a second); it costs a lookup until the window has passed. Writes go through the streams' gate, so they queue behind
 * the comparisons instead of taking more of the pool than the streams are allowed.
 */
import * as sql from '../db/sql.ts';
import { exec, type SqlClient } from '../db/sql-client.ts';
import type { Gate } from './gate.ts';

/** How often an open stream refreshes presence, and the least time between two writes for one user. */
export const PRESENCE_EVERY_MS = 30_000;

export interface Presence {
  /** Marks `userId` active now, unless this process did within the window. Rejects when the write fails. */
  touch(userId: string): Promise<void>;
}

export interface PresenceOptions {
  db: SqlClient;
  gate: Gate;
  /** The runtime's clock: the time written, and the window's. */
  now: () => number;
  everyMs?: number;
}

export function createPresence(o: PresenceOptions): Presence {
  const everyMs = o.everyMs ?? PRESENCE_EVERY_MS;
  // User id → when this process last wrote (or is writing) it. A Map: ids come from tokens.
  const written = new Map<string, number>();
  let swept = o.now();

  /** Entries older than the window decide nothing any more; dropping them keeps the map to recent users. */
  function sweep(nowMs: number) {
    if (nowMs - swept < everyMs) return;
    swept = nowMs;
    for (const [userId, at] of written) if (nowMs - at >= everyMs) written.delete(userId);
  }

  return {
    async touch(userId) {
      const nowMs = o.now();
      sweep(nowMs);
      const last = written.get(userId);
      if (last !== undefined && nowMs - last < everyMs && nowMs >= last) return;
      // Claimed before the write, so streams opening together for one user write once. A failed write
      // keeps its claim: it is retried after the window, not on each stream's every tick, so a database
      // outage is not multiplied by the number of open streams.
      written.set(userId, nowMs);
      await o.gate(() => exec(o.db, sql.markActive(userId, new Date(nowMs))));
    },
  };
}
