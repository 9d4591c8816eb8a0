/**
 * Durations are authored as strings (`'45s'`, `'30m'`, `'2h'`, `'7d'`) and normalised once, here, to
 * milliseconds. The template-literal type lets the editor refuse `'2 hours'` before the compiler does.
 */
export type DurationUnit = 'ms' | 's' | 'm' | 'h' | 'd' | 'w';
export type Duration = `${number}${DurationUnit}`;

const UNIT_MS: Record<DurationUnit, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
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

/** 7_200_000 → `'2h'`: the largest unit that divides the value, for messages and diffs. */
export function formatDuration(ms: number): string {
  for (const unit of ['w', 'd', 'h', 'm', 's'] as const) {
    if (ms >= UNIT_MS[unit] && ms % UNIT_MS[unit] === 0) return `${ms / UNIT_MS[unit]}${unit}`;
  }
  return `${ms}ms`;
}
