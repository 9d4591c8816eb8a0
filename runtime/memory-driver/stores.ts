/**
 * What the runtime keeps in Postgres for throttles, digests and frequency caps, kept in memory. Keyed as the
 * runtime keys them (workflow, step, audience, key), so a second run of a user is throttled, or joins the digest
 * the first run opened, exactly as it would be on the runtime.
 */
import { countsToward } from '../../compiler/bundle/limits.ts';
import type { Channel, FrequencyLimit, JsonValue } from '../../compiler/bundle/schema.ts';

export interface SharedKey {
  workflow: string;
  stepId: string;
  /** The user, or the run itself when it has none. */
  audience: string;
  key: string;
}

const id = (k: SharedKey) => `${k.workflow}\0${k.stepId}\0${k.audience}\0${k.key}`;

export class Throttles {
  private readonly passes = new Map<string, number[]>();

  /**
   * Records this pass if fewer than `limit` passed within the window. `count` is the passes seen before this
   * one, as the runtime's `passThrottle` reports it.
   */
  pass(key: SharedKey, limit: number, windowMs: number, now: number): { allowed: boolean; count: number } {
    const recent = (this.passes.get(id(key)) ?? []).filter((t) => t > now - windowMs);
    const count = recent.length;
    const allowed = count < limit;
    if (allowed) recent.push(now);
    this.passes.set(id(key), recent);
    return { allowed, count };
  }
}

export class Digests {
  private readonly open = new Map<string, { owner: string; items: JsonValue[] }>();

  /** The first run to join an open digest owns it (and will collect it); the others only add their item. */
  join(key: SharedKey, run: string, item: JsonValue): 'owner' | 'joined' {
    const digest = this.open.get(id(key));
    if (digest) {
      digest.items.push(item);
      return digest.owner === run ? 'owner' : 'joined';
    }
    this.open.set(id(key), { owner: run, items: [item] });
    return 'owner';
  }

  /** Closes the digest: the next join opens a new one. */
  collect(key: SharedKey): JsonValue[] {
    const items = this.open.get(id(key))?.items ?? [];
    this.open.delete(id(key));
    return items;
  }
}

/**
 * What frequency caps count, kept in memory: each user's messages handed to a provider, with the channel and
 * the workflow's category (the runtime reads the same from its message log). Entries older than the longest
 * cap's window are dropped as new ones come, so a long replay does not keep every send.
 */
export class SentLog {
  private readonly byAudience = new Map<string, { channel: Channel; category: string | null; at: number }[]>();
  private readonly longestMs: number;

  constructor(limits: readonly FrequencyLimit[]) {
    this.longestMs = Math.max(0, ...limits.map((l) => l.perMs));
  }

  /** False when the bundle sets no cap: nothing needs counting. */
  get counting(): boolean {
    return this.longestMs > 0;
  }

  record(audience: string, channel: Channel, category: string | null, at: number): void {
    const kept = (this.byAudience.get(audience) ?? []).filter((s) => s.at > at - this.longestMs);
    kept.push({ channel, category, at });
    this.byAudience.set(audience, kept);
  }

  /** For each cap, the audience's sends within its window before `now` (a sliding window, as the runtime counts). */
  counts(audience: string, caps: readonly FrequencyLimit[], now: number): number[] {
    const sent = this.byAudience.get(audience) ?? [];
    return caps.map((cap) => sent.filter((s) => s.at > now - cap.perMs && countsToward(cap, s)).length);
  }
}
