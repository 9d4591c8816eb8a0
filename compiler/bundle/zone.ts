/**
 * Wall-clock arithmetic in an IANA zone, using only `Intl.DateTimeFormat` (no timezone database of our own).
 * Everything is in epoch milliseconds; "wall ms" means the local date and time read as if it were UTC, which
 * makes calendar arithmetic (next day, minute of day) plain addition.
 */

const MINUTE = 60_000;
export const DAY = 86_400_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** True when `Intl` knows the zone (`'Europe/Paris'`, `'UTC'`); false for typos such as `'Europe/Pari'`. */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat(undefined, { timeZone });
    return true;
  } catch {
    return false;
  }
}

/** The local wall time of `instant` in `timeZone`, as wall ms. */
export function wallTime(instant: number, timeZone: string): number {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(instant)) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  const ms = ((instant % 1000) + 1000) % 1000;
  // Some engines print midnight as hour 24 even with h23; treat it as 0 of the same date.
  const hour = parts.hour === 24 ? 0 : (parts.hour ?? 0);
  return Date.UTC(parts.year ?? 1970, (parts.month ?? 1) - 1, parts.day ?? 1, hour, parts.minute ?? 0, parts.second ?? 0) + ms;
}

/** UTC offset of `timeZone` at `instant`, in ms (Paris in winter: +3_600_000). */
export function offsetAt(instant: number, timeZone: string): number {
  return wallTime(instant, timeZone) - instant;
}

/** The local calendar date of wall ms, as wall ms of its midnight, and its ISO weekday (1 = Monday … 7 = Sunday). */
export function wallDay(wall: number): { midnight: number; isoDay: number; minute: number } {
  const midnight = Math.floor(wall / DAY) * DAY;
  const utcDay = new Date(midnight).getUTCDay();
  return { midnight, isoDay: utcDay === 0 ? 7 : utcDay, minute: Math.floor((wall - midnight) / MINUTE) };
}

/**
 * Every instant whose local wall time is `wall`: usually one, two in the hour repeated when clocks fall back,
 * none in the hour skipped when they spring forward. Sorted.
 */
export function instantsAt(wall: number, timeZone: string): number[] {
  // Real offsets lie within ±14h, and zones change offset at most once within two days, so the offsets a
  // day either side are the only ones that can apply.
  const offsets = new Set([offsetAt(wall - DAY, timeZone), offsetAt(wall, timeZone), offsetAt(wall + DAY, timeZone)]);
  const found = new Set<number>();
  for (const offset of offsets) {
    const instant = wall - offset;
    if (wallTime(instant, timeZone) === wall) found.add(instant);
  }
  return [...found].sort((a, b) => a - b);
}

/** The instants in [from, to] at which the zone's offset changes (DST transitions), sorted. */
export function transitionsBetween(from: number, to: number, timeZone: string): number[] {
  const out: number[] = [];
  const step = DAY / 2;
  let lo = from;
  let loOffset = offsetAt(lo, timeZone);
  while (lo < to) {
    const hi = Math.min(lo + step, to);
    const hiOffset = offsetAt(hi, timeZone);
    if (hiOffset !== loOffset) out.push(firstWithOffset(lo, hi, hiOffset, timeZone));
    lo = hi;
    loOffset = hiOffset;
  }
  return out;
}

/** Binary search for the first instant in (lo, hi] whose offset is `after` (the offset at lo differs). */
function firstWithOffset(lo: number, hi: number, after: number, timeZone: string): number {
  let a = lo;
  let b = hi;
  while (b - a > 1) {
    const mid = Math.floor((a + b) / 2);
    if (offsetAt(mid, timeZone) === after) b = mid;
    else a = mid;
  }
  return b;
}
