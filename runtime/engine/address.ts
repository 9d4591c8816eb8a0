/**
 * The address grace. A `track` can overtake the `identify` that gives its user an email (two requests of
 * Segment's libraries, a signup handler that fires both at once): the run starts, its first send finds no
 * address and would be skipped for good. So a send left with no candidate, when a channel was ruled out
 * only for want of an address, waits `settings.addressGrace` (default 10 s) for the profile to get one, once
 * per step: at the grace's end (or earlier, on a `profileChanged` fact, when the address has come) it is
 * planned again from scratch and either goes out or is skipped as before, its history saying it waited.
 *
 * "Already waited" is read from the history (the step's `waiting` entry), so states saved before the grace
 * existed load as they are.
 */
import type { Channel, JsonValue } from '../../compiler/bundle/schema.ts';
import { blockOnTimer, record, type Turn } from './turn.ts';

/** The grace when the bundle sets none: long enough for a request that left with the track, short for people. */
export const DEFAULT_ADDRESS_GRACE_MS = 10_000;

/** Why a send waits, as its history says it. */
const NO_ADDRESS = 'no_address';

export function addressGraceMs(turn: Pick<Turn, 'bundle'>): number {
  return turn.bundle.settings.addressGrace ?? DEFAULT_ADDRESS_GRACE_MS;
}

/** When this step began its wait for an address (epoch ms), or null when it has not waited. */
export function addressWaitStarted(turn: Pick<Turn, 'state'>, stepId: string): number | null {
  const entry = turn.state.history.findLast((h) => h.stepId === stepId && h.kind === 'send' && h.outcome === 'waiting' && h.detail?.reason === NO_ADDRESS);
  return entry?.at ?? null;
}

/**
 * Blocks the send on the grace timer when waiting could change the outcome: nothing to send, at least one
 * channel ruled out only for a missing address (`couldSend`: it has providers), a user whose profile can
 * change (a direct recipient's cannot), and no wait yet on this step. Returns whether it blocked.
 */
export function waitForAddress(
  turn: Turn,
  stepId: string,
  plan: { candidates: unknown[]; skipped: { channel: Channel; reason: string }[] },
  couldSend: (channel: Channel) => boolean,
): boolean {
  if (plan.candidates.length > 0 || turn.state.userId === null) return false;
  const missing = plan.skipped.filter((s) => s.reason === NO_ADDRESS && couldSend(s.channel)).map((s) => s.channel);
  const grace = addressGraceMs(turn);
  if (missing.length === 0 || grace <= 0 || addressWaitStarted(turn, stepId) !== null) return false;
  record(turn, stepId, 'send', 'waiting', { reason: NO_ADDRESS, grace, until: turn.now + grace, channels: missing });
  blockOnTimer(turn, stepId, 'address', turn.now + grace);
  return true;
}

/** `{ waited: ms }` for a send planned after its wait for an address (sent or skipped), else nothing. */
export function waitedDetail(turn: Pick<Turn, 'state' | 'now'>, stepId: string): { waited: number } | Record<string, never> {
  const started = addressWaitStarted(turn, stepId);
  return started === null ? {} : { waited: turn.now - started };
}

/** Adds how long the send waited to its `no_address` skips (the message log's why). */
export function withWaited<S extends { reason: string; detail?: Record<string, JsonValue> }>(skipped: S[], waited: { waited?: number }): S[] {
  if (waited.waited === undefined) return skipped;
  return skipped.map((s) => (s.reason === NO_ADDRESS ? { ...s, detail: { ...s.detail, waited: waited.waited! } } : s));
}
