/**
 * A message's status only moves forward, whatever order provider events arrive in: a late `sent` never hides
 * a `delivered`, a bounce after an open changes nothing. Delivery outcomes (delivered, bounced, failed,
 * undeliverable) share a rank: the first one reported stands. Engagements follow the engine's ranking
 * (runtime/engine/engagements.ts): seen (the in-app list was opened) < read = opened < clicked, so an email
 * marked read by read sync stays read when its open comes in, and a click is never taken back. Events that are
 * not statuses (accepted, deferred, unsubscribed, resubscribed, spam report) are kept in the history only.
 */
const RANK: Record<string, number> = {
  queued: 0,
  sent: 2,
  delivered: 3,
  bounced: 3,
  failed: 3,
  undeliverable: 3,
  seen: 4,
  read: 5,
  opened: 5,
  clicked: 6,
};

/** Did the person see the content: read, opened or clicked? */
export function isRead(status: string): boolean {
  return (RANK[status] ?? 0) >= RANK.read!;
}

/** The status after `event` on a message now in `current`. */
export function nextStatus(current: string, event: string): string {
  const to = RANK[event];
  if (to === undefined) return current;
  return to > (RANK[current] ?? 0) ? event : current;
}
