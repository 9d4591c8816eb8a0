/**
 * Virtual time as people read it: every entry of a simulation carries its offset from the trigger, written
 * like the DSL's durations (`+2h`, `+1d 1h`, `+1h 58m`), so `expect(sim.sent()).toMatchObject([{ at: '+2h' }])`
 * reads as the workflow does.
 */
import { parseDuration, type Duration } from '../dsl/duration.ts';

const UNITS = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1_000],
  ['ms', 1],
] as const;

/** 7_380_000 → `'+2h 3m'`; 0 → `'+0s'`. Always the same text for the same offset, so it can be matched. */
export function formatOffset(ms: number): string {
  if (ms === 0) return '+0s';
  const sign = ms < 0 ? '-' : '+';
  let rest = Math.abs(ms);
  const parts: string[] = [];
  for (const [unit, size] of UNITS) {
    const n = Math.floor(rest / size);
    if (n > 0) parts.push(`${n}${unit}`);
    rest -= n * size;
  }
  return `${sign}${parts.join(' ')}`;
}

/** A duration for `advance`: DSL text (`'2h'`) or milliseconds. */
export function durationToMs(duration: Duration | number): number {
  const ms = typeof duration === 'number' ? duration : parseDuration(duration);
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`advance(${JSON.stringify(duration)}): time only moves forward`);
  return ms;
}
