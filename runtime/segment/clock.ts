/**
 * When a call happened, for presence. Devices' clocks drift, so Segment corrects a call's time with the
 * clock of the request that carried it: `receivedAt - (sentAt - originalTimestamp)`. Herald does the same,
 * so a batch flushed late by a phone with a wrong clock marks the user active when they were, not now and
 * not in the future.
 */
export interface CallTimes {
  timestamp?: number | undefined;
  originalTimestamp?: number | undefined;
  sentAt?: number | undefined;
}

export function activityTime(receivedAt: number, call: CallTimes): number {
  // Server libraries send the caller's time as `timestamp`; device libraries as `originalTimestamp`.
  const original = call.originalTimestamp ?? call.timestamp;
  if (original === undefined) return receivedAt;
  const at = call.sentAt === undefined ? original : receivedAt - (call.sentAt - original);
  return Math.min(at, receivedAt);
}
