/**
 * Ids that carry their creation time: UUIDv7 (RFC 9562), made by the `uuid` package, monotonic within a process
 * (a counter within a millisecond), so ids made in order sort in order. Messages and inbox items use them: the
 * partition a row lives in follows from its id (db/partitions.ts), and a retried send that keeps its message
 * id keeps its partition.
 *
 * The monotonic state is ours, not the package's: after a clock that jumped forward comes back, the package
 * keeps counting from the future time, so every id the process makes is dated in the future (past the days
 * the partitions are made for) until the clock catches up. Here a step back of a little is absorbed (ids stay
 * in order) and a larger one starts again from the clock (ids stay dated right).
 */
import { randomInt } from 'node:crypto';
import { validate, v7, version } from 'uuid';

/** A clock step back up to this much keeps ids in order; a larger one dates ids by the clock again. */
const TOLERATED_STEP_BACK_MS = 1_000;
/** The counter's first value in a millisecond is random in its lower 30 bits (RFC 9562, method 1), leaving room to count. */
const SEQ_START = 2 ** 30;
const SEQ_MAX = 2 ** 31 - 1;

const state = { msecs: Number.NEGATIVE_INFINITY, seq: 0 };

export function newTimeOrderedId(now = Date.now()): string {
  if (now > state.msecs || now < state.msecs - TOLERATED_STEP_BACK_MS) {
    state.msecs = now;
    state.seq = randomInt(SEQ_START);
  } else if (state.seq < SEQ_MAX) {
    state.seq++;
  } else {
    // 2^30 ids within one millisecond: borrow the next one.
    state.msecs++;
    state.seq = randomInt(SEQ_START);
  }
  return v7({ msecs: state.msecs, seq: state.seq });
}

/** The creation time an id carries; null for ids made before Herald used UUIDv7 (random, version 4). */
export function timeOfId(id: string): Date | null {
  if (!validate(id) || version(id) !== 7) return null;
  return new Date(Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16));
}
