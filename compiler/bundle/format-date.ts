/**
 * Date formatting for the `formatDate` helper: named styles (`short`, `medium`, `long`, `full`, `time`,
 * `datetime`, `iso`) through Intl, or a token pattern (`yyyy-MM-dd HH:mm`, `EEEE d MMMM`), always in the
 * recipient's timezone and language. Never throws: a bad zone falls back to UTC, a bad locale to English.
 */

import { wallTime } from './zone.ts';
type Style = Intl.DateTimeFormatOptions;

const STYLES: Record<string, Style> = {
  short: { dateStyle: 'short' },
  medium: { dateStyle: 'medium' },
  long: { dateStyle: 'long' },
  full: { dateStyle: 'full' },
  time: { timeStyle: 'short' },
  datetime: { dateStyle: 'medium', timeStyle: 'short' },
};

const TOKENS = /'[^']*'|yyyy|yy|MMMM|MMM|MM|M|dd|d|EEEE|EEE|HH|H|hh|h|mm|ss|a/g;

/** Accepts a Date, epoch milliseconds, or an ISO 8601 string; undefined when it is none of these. */
export function toDate(value: unknown): Date | undefined {
  let date: Date | undefined;
  if (value instanceof Date) date = value;
  else if (typeof value === 'number') date = new Date(value);
  else if (typeof value === 'string' && value.trim() !== '') {
    date = /^-?\d+$/.test(value.trim()) ? new Date(Number(value)) : new Date(value);
  }
  return date && !Number.isNaN(date.getTime()) ? date : undefined;
}

function safeZone(timeZone: string | undefined): string {
  if (!timeZone) return 'UTC';
  try {
    new Intl.DateTimeFormat('en', { timeZone });
    return timeZone;
  } catch {
    return 'UTC';
  }
}

function safeLocale(locale: string | undefined): string {
  if (!locale) return 'en';
  try {
    return Intl.getCanonicalLocales(locale)[0] ?? 'en';
  } catch {
    return 'en';
  }
}

export function formatDate(date: Date, pattern: string, options: { timeZone?: string; locale?: string }): string {
  const timeZone = safeZone(options.timeZone);
  const locale = safeLocale(options.locale);
  if (pattern === 'iso') return date.toISOString();
  const style = STYLES[pattern];
  if (style) return new Intl.DateTimeFormat(locale, { ...style, timeZone }).format(date);
  return formatPattern(date, pattern, timeZone, locale);
}

function formatPattern(date: Date, pattern: string, timeZone: string, locale: string): string {
  // The local date and time in the zone, read through UTC getters (the same wall-clock arithmetic as send windows).
  const wall = new Date(wallTime(date.getTime(), timeZone));
  const numeric = {
    year: String(wall.getUTCFullYear()),
    month: String(wall.getUTCMonth() + 1),
    day: String(wall.getUTCDate()),
    hour: String(wall.getUTCHours()),
    minute: String(wall.getUTCMinutes()),
    second: String(wall.getUTCSeconds()),
  };
  const named = (opts: Style) => new Intl.DateTimeFormat(locale, { ...opts, timeZone }).format(date);
  const pad = (n: string | undefined) => (n ?? '').padStart(2, '0');
  const hour = Number(numeric.hour ?? 0) % 24;
  return pattern.replace(TOKENS, (token) => {
    switch (token) {
      case 'yyyy':
        return numeric.year ?? '';
      case 'yy':
        return (numeric.year ?? '').slice(-2);
      case 'MMMM':
        return named({ month: 'long' });
      case 'MMM':
        return named({ month: 'short' });
      case 'MM':
        return pad(numeric.month);
      case 'M':
        return numeric.month ?? '';
      case 'dd':
        return pad(numeric.day);
      case 'd':
        return numeric.day ?? '';
      case 'EEEE':
        return named({ weekday: 'long' });
      case 'EEE':
        return named({ weekday: 'short' });
      case 'HH':
        return String(hour).padStart(2, '0');
      case 'H':
        return String(hour);
      case 'hh':
        return String(hour % 12 || 12).padStart(2, '0');
      case 'h':
        return String(hour % 12 || 12);
      case 'mm':
        return pad(numeric.minute);
      case 'ss':
        return pad(numeric.second);
      case 'a':
        return hour < 12 ? 'AM' : 'PM';
      default:
        return token.slice(1, -1); // 'quoted literal'
    }
  });
}
