/**
 * Five-field cron (`minute hour day-of-month month day-of-week`), read on a wall clock: for scheduled workflows
 * whose time is each recipient's own (`timezone: 'user'`), the runtime asks, zone by zone, whether the cron names
 * the current local minute. Numbers, `*`, ranges `a-b`, steps `*\/n` and `a-b/n`, lists, and day names
 * (`mon`…`sun`; 0 and 7 are Sunday) as pg-boss's cron accepts; day-of-month and day-of-week, when both are
 * restricted, match when either does (as cron does).
 */
import { wallTime } from './zone.ts';

export interface Cron {
  minutes: Set<number>;
  hours: Set<number>;
  daysOfMonth: Set<number>;
  months: Set<number>;
  /** 0 = Sunday … 6 = Saturday. */
  daysOfWeek: Set<number>;
  domRestricted: boolean;
  dowRestricted: boolean;
}

const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const MONTH_NAMES = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

function value(text: string, names: readonly string[] | null, base: number): number {
  const named = names?.indexOf(text.toLowerCase()) ?? -1;
  if (named >= 0) return named + base;
  if (!/^\d+$/.test(text)) throw new Error(`"${text}" is not a number`);
  return Number(text);
}

function field(text: string, min: number, max: number, names: readonly string[] | null = null, base = min): Set<number> {
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const [range, stepText] = part.split('/');
    const step = stepText === undefined ? 1 : value(stepText, null, 0);
    if (!range || step < 1) throw new Error(`"${part}" is not a cron field`);
    const [from, to] =
      range === '*' ? [min, max] : range.includes('-') ? range.split('-').map((v) => value(v, names, base)) : [value(range, names, base), undefined];
    const last = to ?? (stepText === undefined ? from! : max);
    if (from! < min || last > max || from! > last) throw new Error(`"${part}" is outside ${min}-${max}`);
    for (let v = from!; v <= last; v += step) out.add(v);
  }
  return out;
}

/** Parses a cron expression; throws an Error saying which field is wrong. */
export function parseCron(expression: string): Cron {
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== 5) throw new Error(`"${expression}" has ${parts.length} fields; a cron has 5 (minute hour day month weekday)`);
  const [m, h, dom, mon, dow] = parts as [string, string, string, string, string];
  const daysOfWeek = field(dow, 0, 7, DAY_NAMES, 0);
  if (daysOfWeek.delete(7)) daysOfWeek.add(0);
  return {
    minutes: field(m, 0, 59),
    hours: field(h, 0, 23),
    daysOfMonth: field(dom, 1, 31),
    months: field(mon, 1, 12, MONTH_NAMES, 1),
    daysOfWeek,
    domRestricted: dom !== '*',
    dowRestricted: dow !== '*',
  };
}

/** Does the cron name the minute that `instant` falls in, on the wall clock of `timeZone`? */
export function cronMatchesAt(cron: Cron, instant: number, timeZone: string): boolean {
  const wall = new Date(wallTime(instant, timeZone));
  if (!cron.minutes.has(wall.getUTCMinutes()) || !cron.hours.has(wall.getUTCHours()) || !cron.months.has(wall.getUTCMonth() + 1)) return false;
  const dom = cron.daysOfMonth.has(wall.getUTCDate());
  const dow = cron.daysOfWeek.has(wall.getUTCDay());
  if (cron.domRestricted && cron.dowRestricted) return dom || dow;
  return dom && dow;
}

/**
 * The UTC cron of the tick that serves a per-recipient-zone cron: every minute at which some zone's local minute
 * can be one the cron names. Zone offsets are whole quarter hours, so the cron's minutes ± 15, 30, 45 suffice.
 */
export function userZoneTickCron(cron: Cron): string {
  const minutes = new Set<number>();
  for (const m of cron.minutes) for (const shift of [0, 15, 30, 45]) minutes.add((m + shift) % 60);
  return minutes.size === 60 ? '* * * * *' : `${[...minutes].sort((a, b) => a - b).join(',')} * * * *`;
}
