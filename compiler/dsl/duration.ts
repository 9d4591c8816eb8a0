/**
 * Durations are authored as strings (`'45s'`, `'30m'`, `'2h'`, `'7d'`) and normalised once, here, to
 * milliseconds. The template-literal type lets the editor refuse `'2 hours'` before the compiler does.
 */
import { DURATION_UNIT_MS as UNIT_MS, type DurationUnit } from '../bundle/duration.ts';

export { formatDuration } from '../bundle/duration.ts';
export type { DurationUnit };
export type Duration = `${number}${DurationUnit}`;

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/;

export class DurationError extends Error {
  override name = 'DurationError';
}

/** `'2h'` → 7_200_000. Throws a DurationError that says which forms are accepted. */
export function parseDuration(text: string): number {
  const match = DURATION.exec(String(text).trim());
  if (!match) {
    throw new DurationError(`"${text}" is not a duration; write a number followed by ms, s, m, h, d or w, e.g. '45s', '30m', '2h', '7d'`);
  }
  return Math.round(Number(match[1]) * UNIT_MS[match[2] as DurationUnit]);
}
