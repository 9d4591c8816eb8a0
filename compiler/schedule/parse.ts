/**
 * Authoring form of a send window (`{ days: 'mon-fri', hours: '09:00-20:00', timezone: 'user' }`) → the
 * bundle's form (ISO days, minutes after midnight). Errors name the field, what is wrong and an example fix.
 */
import type { DigestSchedule, SendWindow } from '../bundle/schema.ts';
import type { DigestScheduleSpec, SendWindowSpec } from '../dsl/definitions.ts';
import { isValidTimeZone } from '../bundle/zone.ts';

export type ParsedWindow = { ok: true; window: SendWindow } | { ok: false; field: 'days' | 'hours' | 'timezone'; message: string; hint: string };

const DAY_NAMES = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];
const DAY_WORDS: Record<string, number[]> = {
  daily: [1, 2, 3, 4, 5, 6, 7],
  weekdays: [1, 2, 3, 4, 5],
  weekends: [6, 7],
};
const DAYS_HINT = "write 'daily', 'weekdays', 'weekends', or day names and ranges such as 'mon-fri', 'sat,sun', 'mon-wed,fri'";
const HOURS_HINT = "write 'HH:MM-HH:MM' in 24-hour time, e.g. '09:00-20:00', '22:00-06:00' (wraps midnight) or '00:00-24:00' (all day)";

/** `'mon'`, `'Monday'`, `'tues'` → 1..7, or null (at least three letters of an English day name). */
function dayNumber(word: string): number | null {
  const w = word.toLowerCase();
  if (w.length < 3) return null;
  const index = DAY_NAMES.findIndex((name) => name.startsWith(w));
  return index < 0 ? null : index + 1;
}

export function parseDays(text: string): number[] | string {
  const trimmed = text.trim().toLowerCase();
  const word = DAY_WORDS[trimmed];
  if (word) return word;
  if (trimmed === '') return 'no days given';
  const days = new Set<number>();
  for (const part of trimmed.split(',').map((p) => p.trim())) {
    const [from, to, extra] = part.split('-').map((p) => p.trim());
    if (extra !== undefined || from === undefined || from === '') return `"${part}" is not a day or a range of days`;
    const a = dayNumber(from);
    if (a === null) return `"${from}" is not a day name`;
    if (to === undefined) {
      days.add(a);
      continue;
    }
    const b = dayNumber(to);
    if (b === null) return `"${to}" is not a day name`;
    // A range may wrap the week: 'fri-mon' is Friday, Saturday, Sunday, Monday.
    for (let d = a; ; d = (d % 7) + 1) {
      days.add(d);
      if (d === b) break;
    }
  }
  return [...days].sort((x, y) => x - y);
}

/** `'09:30'` → 570; the end of a span may be `'24:00'` (1440). */
function minuteOf(text: string, isEnd: boolean): number | null {
  const match = /^(\d{1,2})(?::(\d{2}))?$/.exec(text.trim());
  if (!match) return null;
  const h = Number(match[1]);
  const m = Number(match[2] ?? 0);
  if (m > 59) return null;
  if (h === 24 && m === 0 && isEnd) return 1440;
  if (h > 23) return null;
  return h * 60 + m;
}

export function parseHours(text: string): { startMinute: number; endMinute: number } | string {
  const parts = text.split('-');
  if (parts.length !== 2) return `"${text}" is not a span of hours`;
  const start = minuteOf(parts[0] ?? '', false);
  const end = minuteOf(parts[1] ?? '', true);
  if (start === null) return `"${(parts[0] ?? '').trim()}" is not a time of day`;
  if (end === null) return `"${(parts[1] ?? '').trim()}" is not a time of day`;
  // '20:00-00:00' means "until midnight": store it as 1440 so the span does not look like a wrap to 00:00.
  // '00:00-00:00' stays an empty span, which windowNeverOpens reports.
  return { startMinute: start, endMinute: end === 0 && start > 0 ? 1440 : end };
}

export type ParsedSchedule = { ok: true; schedule: DigestSchedule } | { ok: false; field: 'days' | 'at' | 'timezone'; message: string; hint: string };

/**
 * Parses the authoring form of a digest schedule: the days as a window's, one time of day, a zone.
 * @example parseScheduleSpec({ days: 'weekdays', at: '09:00', timezone: 'user' })
 *   // → { ok: true, schedule: { days: [1,2,3,4,5], atMinute: 540, timezone: 'user' } }
 */
export function parseScheduleSpec(spec: DigestScheduleSpec): ParsedSchedule {
  const days = parseDays(String(spec.days ?? ''));
  if (typeof days === 'string') return { ok: false, field: 'days', message: days, hint: DAYS_HINT };
  const atMinute = minuteOf(String(spec.at ?? ''), false);
  if (atMinute === null) {
    return {
      ok: false,
      field: 'at',
      message: `"${String(spec.at ?? '')}" is not a time of day`,
      hint: "write 'HH:MM' in 24-hour time, e.g. '09:00' or '17:30'",
    };
  }
  const timezone = parseZone(spec.timezone);
  if (!timezone.ok) return { ok: false, field: 'timezone', message: timezone.message, hint: timezone.hint };
  return { ok: true, schedule: { days, atMinute, timezone: timezone.zone } };
}

function parseZone(value: unknown): { ok: true; zone: string } | { ok: false; message: string; hint: string } {
  const zone = String(value ?? '').trim();
  if (zone === 'user' || isValidTimeZone(zone)) return { ok: true, zone };
  return {
    ok: false,
    message: `"${zone}" is not an IANA time zone`,
    hint: "use 'user' (the recipient's own zone) or an IANA name such as 'Europe/Paris' or 'America/New_York'",
  };
}

/**
 * Parses the authoring form of a send window.
 * @example parseWindowSpec({ days: 'mon-fri', hours: '09:00-20:00', timezone: 'user' })
 *   // → { ok: true, window: { days: [1,2,3,4,5], startMinute: 540, endMinute: 1200, timezone: 'user' } }
 */
export function parseWindowSpec(spec: SendWindowSpec): ParsedWindow {
  const days = parseDays(String(spec.days ?? ''));
  if (typeof days === 'string') return { ok: false, field: 'days', message: days, hint: DAYS_HINT };
  const hours = parseHours(String(spec.hours ?? ''));
  if (typeof hours === 'string') return { ok: false, field: 'hours', message: hours, hint: HOURS_HINT };
  const timezone = parseZone(spec.timezone);
  if (!timezone.ok) return { ok: false, field: 'timezone', message: timezone.message, hint: timezone.hint };
  return { ok: true, window: { days, ...hours, timezone: timezone.zone } };
}
