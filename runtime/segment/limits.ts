/**
 * Segment's documented limits for its HTTP Tracking API, kept so a sender that works against Segment works
 * against Herald, and the other way round: 32 KB per call (or per event inside a batch), 500 KB per batch
 * request, 2,500 events per batch.
 */
export const MAX_EVENT_BYTES = 32 * 1024;
export const MAX_BATCH_BYTES = 500 * 1024;
export const MAX_BATCH_EVENTS = 2_500;
/**
 * Herald's own limit, not Segment's: a track call's `event` name. Names are for people (`Order Completed`);
 * every call's name is matched against the bundle (names.ts), so an unbounded one is work and log space for nothing.
 */
export const MAX_EVENT_NAME_LENGTH = 200;

/** Size of one event inside a batch, as its JSON (the request's own bytes are not split per event). */
export function eventBytes(event: unknown): number {
  return Buffer.byteLength(JSON.stringify(event) ?? '');
}
