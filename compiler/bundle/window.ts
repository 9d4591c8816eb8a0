/**
 * Send windows (quiet hours): when a send may go out, and when a closed window next opens.
 *
 * A window is a span of local wall-clock minutes [startMinute, endMinute) on the listed ISO days. A span that
 * wraps midnight ('22:00-06:00') belongs to the day it starts on: with days 'fri', Friday 23:00 and Saturday
 * 02:00 are open, Friday 02:00 is not. All checks read the wall clock in the zone, so a window keeps its local
 * hours across DST changes; a local opening time skipped by a spring-forward opens at the first instant after it.
 */
import type { SendWindow } from './schema.ts';
import { DAY, instantsAt, transitionsBetween, wallDay, wallTime } from './zone.ts';

export { isValidTimeZone } from './zone.ts';

const MINUTE = 60_000;

function clock(minute: number): string {
  const h = Math.floor(minute / 60);
  return `${String(h).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;
}

/** A reason when the window can never open (no days, or an empty span of hours), else null. */
export function windowNeverOpens(window: SendWindow): string | null {
  if (window.days.length === 0) return 'it lists no days';
  if (window.startMinute === window.endMinute) {
    return `its hours '${clock(window.startMinute)}-${clock(window.endMinute)}' start and end at the same minute, an empty span`;
  }
  return null;
}

/** Is the window open on ISO weekday `isoDay` at `minute` after local midnight? */
function openAtWall(window: SendWindow, isoDay: number, minute: number): boolean {
  const { days, startMinute: start, endMinute: end } = window;
  if (start < end) return days.includes(isoDay) && minute >= start && minute < end;
  if (start === end) return false;
  const previousDay = isoDay === 1 ? 7 : isoDay - 1;
  return (days.includes(isoDay) && minute >= start) || (days.includes(previousDay) && minute < end);
}

/**
 * Is the window open at `now`? `timezone` is already resolved (the user's zone, or 'UTC', when the window
 * says 'user').
 */
export function isWindowOpen(window: SendWindow, timezone: string, now: number): boolean {
  const { isoDay, minute } = wallDay(wallTime(now, timezone));
  return openAtWall(window, isoDay, minute);
}

/**
 * The first instant ≥ `now` at which the window is open (`now` itself when open), or null when it never opens.
 * @example nextWindowOpening({ days: [1,2,3,4,5], startMinute: 540, endMinute: 1200, timezone: 'user' },
 *   'Europe/Paris', Date.parse('2025-03-08T12:00:00Z')) // Saturday → Monday 09:00 Paris = '2025-03-10T08:00:00Z'
 */
export function nextWindowOpening(window: SendWindow, timezone: string, now: number): number | null {
  if (windowNeverOpens(window) !== null) return null;
  if (isWindowOpen(window, timezone, now)) return now;
  // The window can only go from closed to open when the wall clock reaches a start time, or when it jumps at
  // a DST transition (which also covers a start time that the jump skips). Check those instants in order.
  const { midnight } = wallDay(wallTime(now, timezone));
  const candidates: number[] = [];
  for (let day = -1; day <= 8; day++) {
    candidates.push(...instantsAt(midnight + day * DAY + window.startMinute * MINUTE, timezone));
  }
  candidates.push(...transitionsBetween(now, now + 9 * DAY, timezone));
  candidates.sort((a, b) => a - b);
  for (const instant of candidates) {
    if (instant > now && isWindowOpen(window, timezone, instant)) return instant;
  }
  return null;
}
