/**
 * `herald diff --reach`: each added or changed audience's size, counted on one database for both sides (the old
 * condition and the new, at the same moment), written where the reviewer reads the audience:
 * "12,304 users, +1,200". The count itself is the caller's (the CLI reads DATABASE_READ_URL), so this stays pure.
 */
import type { AudienceCondition, Bundle } from '../bundle/schema.ts';
import type { BundleDiff } from './model.ts';

export type CountAudience = (condition: AudienceCondition) => Promise<number>;

const number = (n: number) => n.toLocaleString('en-US');

/** `12,304 users, +1,200` (`-300`, `±0`). */
export function reachText(after: number, before?: number): string {
  const size = `${number(after)} ${after === 1 ? 'user' : 'users'}`;
  if (before === undefined) return size;
  const delta = after - before;
  return `${size}, ${delta > 0 ? '+' : delta < 0 ? '-' : '±'}${number(Math.abs(delta))}`;
}

export async function addReach(diff: BundleDiff, base: Bundle, head: Bundle, count: CountAudience): Promise<void> {
  const section = diff.audiences;
  for (const item of section.added) {
    const audience = head.audiences?.[item.id];
    if (audience) item.summary = `${item.summary} · reach ${reachText(await count(audience.condition))}`;
  }
  for (const item of section.changed) {
    const before = base.audiences?.[item.id];
    const after = head.audiences?.[item.id];
    if (!before || !after) continue;
    const [was, is] = await Promise.all([count(before.condition), count(after.condition)]);
    item.note = `Reach: ${reachText(is, was)}`;
  }
}
