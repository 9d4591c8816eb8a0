/**
 * Slots for live inbox streams: at most `maxStreamsPerUser` open for one user and `maxStreams` in all, in
 * this process. A stream takes its slot before it touches the database and gives it back when it ends,
 * however it ends (the client left, the token expired, the server is closing, opening failed). Over the
 * cap is a 429 with `Retry-After`: a slot frees only when some stream closes, so the client should wait
 * rather than hammer, and the widget already backs off on a refused stream.
 */
import type { Context } from 'hono';
import { HttpError } from '../http/errors.ts';
import type { InboxLimits } from './limits.ts';

/** Seconds a refused client is asked to wait: streams are long-lived, a slot rarely frees within seconds. */
export const STREAM_RETRY_AFTER_SECONDS = 30;

export interface StreamSlots {
  /** A slot for one of `userId`'s streams, or which cap is full. The release function is idempotent. */
  take(userId: string): { ok: true; release: () => void } | { ok: false; full: 'user' | 'process' };
  /** Open streams, for tests and diagnostics. */
  readonly open: number;
  readonly limits: InboxLimits;
}

export function createStreamSlots(limits: InboxLimits): StreamSlots {
  // A Map, not an object: user ids come from tokens and may be any string ("__proto__" included).
  const byUser = new Map<string, number>();
  let open = 0;
  return {
    limits,
    get open() {
      return open;
    },
    take(userId) {
      const mine = byUser.get(userId) ?? 0;
      if (mine >= limits.maxStreamsPerUser) return { ok: false, full: 'user' };
      if (open >= limits.maxStreams) return { ok: false, full: 'process' };
      byUser.set(userId, mine + 1);
      open++;
      let held = true;
      const release = () => {
        if (!held) return;
        held = false;
        open--;
        const left = (byUser.get(userId) ?? 1) - 1;
        if (left > 0) byUser.set(userId, left);
        else byUser.delete(userId);
      };
      return { ok: true, release };
    },
  };
}

/** Takes a slot for the request's stream, or answers 429 saying which cap is full and what to do. */
export function takeStreamSlot(c: Context, slots: StreamSlots, userId: string): () => void {
  const { limits } = slots;
  const slot = slots.take(userId);
  if (slot.ok) return slot.release;
  c.header('Retry-After', String(STREAM_RETRY_AFTER_SECONDS));
  const message =
    slot.full === 'user'
      ? `too many open inbox streams for this user (at most ${limits.maxStreamsPerUser} per process, HERALD_INBOX_MAX_STREAMS_PER_USER); close another tab's stream or retry after ${STREAM_RETRY_AFTER_SECONDS} s`
      : `too many open inbox streams on this server (at most ${limits.maxStreams}, HERALD_INBOX_MAX_STREAMS); retry after ${STREAM_RETRY_AFTER_SECONDS} s`;
  throw new HttpError(429, 'rate_limited', message);
}
