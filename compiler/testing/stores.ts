/**
 * What the runtime keeps in Postgres for throttles and digests, kept in memory for one simulated user and
 * workflow. Shared by every run of the simulation, so a second trigger is throttled, or joins the digest the
 * first run opened, exactly as it would be on the runtime.
 */
import type { JsonValue } from '../bundle/schema.ts';

export class Throttles {
  private readonly passes = new Map<string, number[]>();

  /**
   * Records this pass if fewer than `limit` passed within the window. `count` is the passes seen before this
   * one, as the runtime's `passThrottle` reports it.
   */
  pass(stepId: string, key: string, limit: number, windowMs: number, now: number): { allowed: boolean; count: number } {
    const id = `${stepId}\0${key}`;
    const recent = (this.passes.get(id) ?? []).filter((t) => t > now - windowMs);
    const count = recent.length;
    const allowed = count < limit;
    if (allowed) recent.push(now);
    this.passes.set(id, recent);
    return { allowed, count };
  }
}

export class Digests {
  private readonly open = new Map<string, { owner: string; items: JsonValue[] }>();

  /** The first run to join an open digest owns it (and will collect it); the others only add their item. */
  join(stepId: string, key: string, run: string, item: JsonValue): 'owner' | 'joined' {
    const id = `${stepId}\0${key}`;
    const digest = this.open.get(id);
    if (digest) {
      digest.items.push(item);
      return digest.owner === run ? 'owner' : 'joined';
    }
    this.open.set(id, { owner: run, items: [item] });
    return 'owner';
  }

  /** Closes the digest: the next join opens a new one. */
  collect(stepId: string, key: string): JsonValue[] {
    const id = `${stepId}\0${key}`;
    const items = this.open.get(id)?.items ?? [];
    this.open.delete(id);
    return items;
  }
}
