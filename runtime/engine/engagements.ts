/**
 * Engagement kinds are ordered: a click implies the message was opened, an open that it was delivered.
 * The run stores the kinds actually reported; questions ("was it opened?") apply the implication.
 */
import type { EngagementKind } from '../../compiler/bundle/schema.ts';

const RANK: Record<EngagementKind, number> = { delivered: 0, opened: 1, clicked: 2 };

/** Was `kind` (or a stronger kind) seen among `seen`? */
export function engagementSeen(seen: readonly EngagementKind[] | undefined, kind: EngagementKind): boolean {
  return (seen ?? []).some((k) => RANK[k] >= RANK[kind]);
}
