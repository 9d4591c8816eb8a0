/**
 * Frequency caps on the runtime: the counts behind the engine's `frequencySkip`, for one transaction (a batch
 * of fact jobs). A count is the user's messages in the database's log, plus what this transaction has sent and
 * not yet logged (a batch writes its messages at its end, runtime/execution/batch.ts).
 *
 * Strict across processes: a capped send takes a lock on its user until its transaction ends (see
 * runtime/README.md, "Frequency caps"), so a second transaction counting the same user waits until the first
 * has committed its messages, then counts them. Within one transaction, runs advance concurrently: a send that
 * passes is counted at once (before its provider call), so a second run of the same user sees it.
 *
 * The runs of a batch reach their sends together, so the counts they ask for in the same turn of the event loop
 * are read by one statement: a batch of capped one-send runs costs one round trip more, not one per send.
 */
import { countsToward } from '../../compiler/bundle/limits.ts';
import type { Channel } from '../../compiler/bundle/schema.ts';
import * as sql from '../db/sql.ts';
import { exec, rows, type SqlClient } from '../db/sql-client.ts';
import { type FrequencyCap, type FrequencySkip, frequencySkip } from '../engine/index.ts';

interface Sent {
  userId: string;
  channel: Channel;
  category: string | null;
  at: number;
}

export type Admission = { skip: FrequencySkip } | { skip: null; release(): void };

/** Counts asked in one turn, read together. */
interface Ask {
  counts: sql.CapCount[];
  resolve(counts: number[]): void;
  reject(error: unknown): void;
}

export class FrequencyLedger {
  private readonly tx: SqlClient;
  /** Messages this transaction handed to providers (or let through and is handing), not yet in the log. */
  private readonly unlogged: Sent[] = [];
  private asked: Ask[] = [];

  constructor(tx: SqlClient) {
    this.tx = tx;
  }

  /**
   * Whether a message to the user may go on `channel` under `caps`: the skip when a cap is reached, else it is
   * counted from now on; `release()` uncounts it when no provider took it after all.
   */
  async admit(send: Omit<Sent, 'at'>, caps: readonly FrequencyCap[], now: number): Promise<Admission> {
    const logged = await this.read(
      caps.map((cap) => ({ userId: send.userId, channel: cap.channel ?? null, category: cap.category ?? null, since: new Date(now - cap.perMs) })),
    );
    // No await from here on: the count and the claim happen together for the runs of this batch.
    const counts = caps.map(
      (cap, i) => (logged[i] ?? 0) + this.unlogged.filter((s) => s.userId === send.userId && s.at > now - cap.perMs && countsToward(cap, s)).length,
    );
    const skip = frequencySkip(caps, counts);
    if (skip) return { skip };
    const entry = { ...send, at: now };
    this.unlogged.push(entry);
    return { skip: null, release: () => this.unlogged.splice(this.unlogged.indexOf(entry), 1) };
  }

  /** A message sent without a cap of its own (critical, required, or on an uncapped channel) still counts toward others. */
  sent(send: Omit<Sent, 'at'>, now: number): void {
    this.unlogged.push({ ...send, at: now });
  }

  /** The logged counts, read with the others asked in this turn. */
  private read(counts: sql.CapCount[]): Promise<number[]> {
    return new Promise((resolve, reject) => {
      this.asked.push({ counts, resolve, reject });
      if (this.asked.length === 1) setImmediate(() => void this.readAsked());
    });
  }

  private async readAsked(): Promise<void> {
    const asked = this.asked;
    this.asked = [];
    try {
      const all = asked.flatMap((a) => a.counts);
      const first = await rows<{ user_id: string; locked: boolean; count: number }>(this.tx, sql.countUserSends(all));
      const counts = first.map((r) => r.count);
      const busy = [...new Set(first.filter((r) => !r.locked).map((r) => r.user_id))];
      if (busy.length > 0) {
        // Another transaction holds these users: their counts ran before its messages were committed. Wait for
        // it to end, then count them again.
        await exec(this.tx, sql.lockUserSends(busy));
        const again = all.flatMap((c, i) => (busy.includes(c.userId) ? [i] : []));
        const recounted = await rows<{ count: number }>(this.tx, sql.countUserSends(again.map((i) => all[i]!)));
        again.forEach((i, j) => {
          counts[i] = recounted[j]!.count;
        });
      }
      let at = 0;
      for (const a of asked) {
        a.resolve(counts.slice(at, at + a.counts.length));
        at += a.counts.length;
      }
    } catch (error) {
      for (const a of asked) a.reject(error);
    }
  }
}
