/**
 * Digest schedules ("weekdays at 09:00 in the user's zone"): when one next occurs. A schedule is a send window
 * one minute wide, so the window's zone arithmetic is the schedule's too: local time is kept across DST; a
 * local time the clocks skip (02:30 on a spring-forward night) does not occur that day, and one they repeat
 * (01:30 on a fall-back night) occurs at each of its two instants.
 */
import type { DigestSchedule, SendWindow } from './schema.ts';
import { nextWindowOpening } from './window.ts';

const MINUTE = 60_000;
const DAY = 86_400_000;

function asWindow(schedule: DigestSchedule): SendWindow {
  return { days: schedule.days, startMinute: schedule.atMinute, endMinute: schedule.atMinute + 1, timezone: schedule.timezone };
}

/**
 * The first occurrence of the schedule strictly after `after`, in `timezone` (already resolved: the user's zone,
 * or UTC, when the schedule says 'user'); null when it never occurs (no days).
 * @example nextScheduleOccurrence({ days: [1, 2, 3, 4, 5], atMinute: 540, timezone: 'user' }, 'Europe/Paris',
 *   Date.parse('2025-03-07T09:00:00Z')) // Friday 10:00 Paris → Monday 09:00 Paris = '2025-03-10T08:00:00Z'
 */
export function nextScheduleOccurrence(schedule: DigestSchedule, timezone: string, after: number): number | null {
  const window = asWindow(schedule);
  const next = nextWindowOpening(window, timezone, after + 1);
  if (next === null) return null;
  // Inside the scheduled minute itself (the digest opened at 09:00:20): that occurrence has begun, so the next
  // one is the following opening, looked for from the end of this minute.
  if (next === after + 1) return nextWindowOpening(window, timezone, Math.floor(after / MINUTE) * MINUTE + MINUTE);
  return next;
}

/**
 * The longest a digest opened just after an occurrence can wait for the next one: the widest gap between two
 * listed days, plus an hour for a DST change. For the retention check: `weekdays` → 3 days (Friday to Monday).
 */
export function longestScheduleWaitMs(schedule: DigestSchedule): number {
  const days = [...new Set(schedule.days)].sort((a, b) => a - b);
  if (days.length === 0) return 0;
  let widest = 0;
  for (const [i, day] of days.entries()) {
    const next = days[(i + 1) % days.length]!;
    widest = Math.max(widest, next > day ? next - day : next + 7 - day);
  }
  return widest * DAY + 3_600_000;
}
