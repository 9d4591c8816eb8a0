/**
 * Durations as people read them. The bundle holds milliseconds; the engine names a frequency cap in its logs
 * (`sms 3/1d`) and the PR tools print waits, so the formatting lives with the bundle, which both may import.
 */
export const DURATION_UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
export type DurationUnit = keyof typeof DURATION_UNIT_MS;

/** 7_200_000 → `'2h'`: the largest unit that divides the value, for messages and diffs. */
export function formatDuration(ms: number): string {
  for (const unit of ['w', 'd', 'h', 'm', 's'] as const) {
    if (ms >= DURATION_UNIT_MS[unit] && ms % DURATION_UNIT_MS[unit] === 0) return `${ms / DURATION_UNIT_MS[unit]}${unit}`;
  }
  return `${ms}ms`;
}
