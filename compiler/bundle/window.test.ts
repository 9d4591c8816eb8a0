import { describe, expect, it } from 'vitest';
import { parseWindowSpec } from '../schedule/parse.ts';
import { isWindowOpen, nextWindowOpening, windowNeverOpens } from './window.ts';

const parse = (days: string, hours: string, timezone = 'user') => {
  const r = parseWindowSpec({ days, hours, timezone });
  if (!r.ok) throw new Error(r.message);
  return r.window;
};
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

describe('parseWindowSpec', () => {
  it('reads day sets, ranges and lists', () => {
    expect(parse('mon-fri', '09:00-20:00')).toEqual({ days: [1, 2, 3, 4, 5], startMinute: 540, endMinute: 1200, timezone: 'user' });
    expect(parse('sat,sun', '00:00-24:00').days).toEqual([6, 7]);
    expect(parse('fri-mon', '10:00-11:00').days).toEqual([1, 5, 6, 7]);
    expect(parse('daily', '22:00-06:00')).toMatchObject({ startMinute: 1320, endMinute: 360 });
  });
  it('says which field is wrong and how to fix it', () => {
    expect(parseWindowSpec({ days: 'mon-fry', hours: '09:00-20:00', timezone: 'user' })).toMatchObject({ ok: false, field: 'days' });
    expect(parseWindowSpec({ days: 'daily', hours: '9am-5pm', timezone: 'user' })).toMatchObject({ ok: false, field: 'hours' });
    expect(parseWindowSpec({ days: 'daily', hours: '09:00-17:00', timezone: 'Mars/Olympus' })).toMatchObject({ ok: false, field: 'timezone' });
  });
  it('knows a window that can never open', () => {
    expect(windowNeverOpens(parse('mon-fri', '09:00-09:00'))).toContain('same minute');
    expect(windowNeverOpens(parse('mon-fri', '09:00-17:00'))).toBeNull();
  });
});

describe('nextWindowOpening', () => {
  const weekdays = parse('mon-fri', '09:00-20:00');
  it('is now when open, else the next opening in the zone', () => {
    const wedNoonParis = Date.parse('2026-11-25T11:00:00Z');
    expect(nextWindowOpening(weekdays, 'Europe/Paris', wedNoonParis)).toBe(wedNoonParis);
    // Friday 21:00 in Paris → Monday 09:00 Paris (08:00Z in winter).
    expect(iso(nextWindowOpening(weekdays, 'Europe/Paris', Date.parse('2026-11-27T20:00:00Z')))).toBe('2026-11-30T08:00:00.000Z');
  });
  it('handles windows that wrap midnight', () => {
    const night = parse('daily', '22:00-06:00');
    expect(isWindowOpen(night, 'UTC', Date.parse('2026-11-27T23:30:00Z'))).toBe(true);
    expect(isWindowOpen(night, 'UTC', Date.parse('2026-11-27T05:59:00Z'))).toBe(true);
    expect(isWindowOpen(night, 'UTC', Date.parse('2026-11-27T06:00:00Z'))).toBe(false);
    expect(iso(nextWindowOpening(night, 'UTC', Date.parse('2026-11-27T12:00:00Z')))).toBe('2026-11-27T22:00:00.000Z');
  });
  it('is DST-correct across spring-forward and fall-back', () => {
    const early = parse('daily', '09:00-10:00');
    // New York springs forward on 2026-03-08: 09:00 local is 13:00Z that day, 14:00Z the day before.
    expect(iso(nextWindowOpening(early, 'America/New_York', Date.parse('2026-03-07T16:00:00Z')))).toBe('2026-03-08T13:00:00.000Z');
    // Paris falls back on 2026-10-25: 09:00 local is 08:00Z that day (UTC+1), 07:00Z the day before (UTC+2).
    expect(iso(nextWindowOpening(early, 'Europe/Paris', Date.parse('2026-10-24T09:00:00Z')))).toBe('2026-10-25T08:00:00.000Z');
  });
  it('resolves an opening inside a DST gap to the first valid instant after it', () => {
    // 02:30 does not exist in Paris on 2026-03-29 (02:00 → 03:00): the window opens at 03:00 local = 01:00Z.
    const gap = parse('daily', '02:30-04:00');
    expect(iso(nextWindowOpening(gap, 'Europe/Paris', Date.parse('2026-03-28T23:00:00Z')))).toBe('2026-03-29T01:00:00.000Z');
  });
  it('finds short windows', () => {
    const short = parse('mon-fri', '09:07-09:10');
    expect(iso(nextWindowOpening(short, 'UTC', Date.parse('2026-11-27T08:00:00Z')))).toBe('2026-11-27T09:07:00.000Z');
  });
});
