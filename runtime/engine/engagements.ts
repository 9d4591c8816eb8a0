/**
 * Engagement kinds are ordered: delivered < seen < read = opened < clicked. A click implies the content was read,
 * a read that the message was seen, a sighting that it was delivered. `read` (an in-app item opened or marked
 * read) and `opened` (an email open, a push opened) are one rung: both mean the person saw the content, so a
 * workflow asking "opened?" of an in-app send is answered by a read, and "read?" of an email by an open.
 * The run stores the kinds actually reported; questions ("was it opened?") apply the implication.
 */
import type { EngagementKind } from '../../compiler/bundle/schema.ts';

const RANK: Readonly<Record<EngagementKind, number>> = { delivered: 0, seen: 1, read: 2, opened: 2, clicked: 3 };

/** Was `kind` (or a stronger kind) seen among `seen`? */
export function engagementSeen(seen: readonly EngagementKind[] | undefined, kind: EngagementKind): boolean {
  return (seen ?? []).some((k) => RANK[k] >= RANK[kind]);
}
