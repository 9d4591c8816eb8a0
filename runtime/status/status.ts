/**
 * A message's status only moves forward, whatever order provider events arrive in: a late `sent` never hides
 * a `delivered`, a bounce after an open changes nothing. Delivery outcomes (delivered, bounced, failed,
 * undeliverable) share a rank: the first one reported stands. Events that are not statuses (accepted,
 * deferred, unsubscribed, resubscribed, spam report) are kept in the history only.
 */
const RANK: Record<string, number> = { queued: 0, sent: 2, delivered: 3, bounced: 3, failed: 3, undeliverable: 3, opened: 4, clicked: 5 };

/** The status after `event` on a message now in `current`. */
export function nextStatus(current: string, event: string): string {
  const to = RANK[event];
  if (to === undefined) return current;
  return to > (RANK[current] ?? 0) ? event : current;
}
