/**
 * Reads a moment from run data or a trait: an ISO 8601 date-time (`2025-03-01T09:00:00Z`, with an offset
 * `+02:00`, or without a zone, read as UTC) or a date (`2025-03-01`, its midnight UTC). Parsed by hand rather
 * than with `Date.parse`, whose reading of zone-less strings depends on the machine's zone: the engine is pure.
 */
import type { JsonValue } from './types.ts';

export type Moment = { ok: true; at: number } | { ok: false; reason: 'until_missing' | 'until_invalid' };

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?([Zz]|[+-]\d{2}:?\d{2})?)?$/;

export function readMoment(value: JsonValue | undefined): Moment {
  if (value === undefined || value === null || value === '') return { ok: false, reason: 'until_missing' };
  if (typeof value !== 'string') return { ok: false, reason: 'until_invalid' };
  const m = ISO.exec(value.trim());
  if (!m) return { ok: false, reason: 'until_invalid' };
  const [year, month, day, hour = 0, minute = 0, second = 0] = m.slice(1, 7).map((part) => (part === undefined ? undefined : Number(part))) as number[];
  const fraction = m[7] ? Math.floor(Number(m[7]) * 1000) : 0;
  const wall = Date.UTC(year!, month! - 1, day!, hour, minute, second, fraction);
  const back = new Date(wall);
  // 2025-02-30 or 25:00 roll over in Date.UTC: refuse them rather than read another day.
  if (
    back.getUTCFullYear() !== year ||
    back.getUTCMonth() !== month! - 1 ||
    back.getUTCDate() !== day ||
    back.getUTCHours() !== hour ||
    back.getUTCMinutes() !== minute
  ) {
    return { ok: false, reason: 'until_invalid' };
  }
  return { ok: true, at: wall - offsetMs(m[8]) };
}

/** `Z` / absent → 0; `+02:00`, `-0530` → the offset in ms (local = UTC + offset). */
function offsetMs(zone: string | undefined): number {
  if (zone === undefined || zone === 'Z' || zone === 'z') return 0;
  const digits = zone.slice(1).replace(':', '');
  const ms = (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
  return zone.startsWith('-') ? -ms : ms;
}
