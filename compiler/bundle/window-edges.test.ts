import { describe, expect, it } from 'vitest';
import { parseWindowSpec } from '../schedule/parse.ts';
import { isWindowOpen, nextWindowOpening, windowNeverOpens } from './window.ts';
import { instantsAt, transitionsBetween } from './zone.ts';

const parse = (days: string, hours: string, timezone = 'user') => {
  const r = parseWindowSpec({ days, hours, timezone });
  if (!r.ok) throw new Error(r.message);
  return r.window;
};
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const at = (text: string) => Date.parse(text);

describe('parseWindowSpec edges', () => {
  it('accepts words, full names, week-wrapping ranges and "until midnight"', () => {
    expect(parse('weekdays', '9-17')).toMatchObject({ days: [1, 2, 3, 4, 5], startMinute: 540, endMinute: 1020 });
    expect(parse('weekends', '00:00-24:00')).toMatchObject({ days: [6, 7], startMinute: 0, endMinute: 1440 });
    expect(parse('Monday-Wednesday, fri', '08:30-12:00').days).toEqual([1, 2, 3, 5]);
    expect(parse('sat-mon', '10:00-11:00').days).toEqual([1, 6, 7]);
    expect(parse('daily', '20:00-00:00')).toMatchObject({ startMinute: 1200, endMinute: 1440 });
    expect(parse('daily', '09:00-17:00', 'America/New_York').timezone).toBe('America/New_York');
  });
  it('refuses bad input with a hint', () => {
    for (const [days, hours] of [
      ['', '09:00-17:00'],
      ['mo', '09:00-17:00'],
      ['mon-tue-wed', '09:00-17:00'],
      ['daily', '25:00-26:00'],
      ['daily', '09:60-10:00'],
      ['daily', '09:00'],
      ['daily', '24:00-10:00'],
    ] as const) {
      const r = parseWindowSpec({ days, hours, timezone: 'UTC' });
      expect(r.ok, `${days} ${hours}`).toBe(false);
      if (!r.ok) expect(r.hint).toMatch(/e\.g\.|write/);
    }
  });
  it('reports empty spans and no days, and never finds an opening for them', () => {
    const empty = parse('daily', '00:00-00:00');
    expect(windowNeverOpens(empty)).toContain('same minute');
    expect(windowNeverOpens({ days: [], startMinute: 0, endMinute: 60, timezone: 'UTC' })).toContain('no days');
    expect(nextWindowOpening(empty, 'UTC', 0)).toBeNull();
  });
});

describe('isWindowOpen', () => {
  it('gives a midnight-wrapping span to the day it starts on', () => {
    const fridayNight = parse('fri', '22:00-06:00');
    expect(isWindowOpen(fridayNight, 'UTC', at('2026-11-27T23:00:00Z'))).toBe(true); // Fri 23:00
    expect(isWindowOpen(fridayNight, 'UTC', at('2026-11-28T02:00:00Z'))).toBe(true); // Sat 02:00
    expect(isWindowOpen(fridayNight, 'UTC', at('2026-11-27T02:00:00Z'))).toBe(false); // Fri 02:00 (Thursday's night)
    expect(isWindowOpen(fridayNight, 'UTC', at('2026-11-28T23:00:00Z'))).toBe(false); // Sat 23:00
  });
  it('reads the wall clock of the zone, keeping local hours across DST', () => {
    const office = parse('daily', '09:00-17:00');
    expect(isWindowOpen(office, 'Europe/Paris', at('2026-03-28T08:00:00Z'))).toBe(true); // 09:00 CET
    expect(isWindowOpen(office, 'Europe/Paris', at('2026-03-29T07:00:00Z'))).toBe(true); // 09:00 CEST
    expect(isWindowOpen(office, 'Europe/Paris', at('2026-03-29T06:59:00Z'))).toBe(false); // 08:59 CEST
    expect(isWindowOpen(office, 'America/New_York', at('2026-11-27T13:59:00Z'))).toBe(false); // 08:59 EST
  });
  it('is open all day for 00:00-24:00 on its days only', () => {
    const weekend = parse('weekends', '00:00-24:00');
    expect(isWindowOpen(weekend, 'UTC', at('2026-11-28T00:00:00Z'))).toBe(true);
    expect(isWindowOpen(weekend, 'UTC', at('2026-11-29T23:59:59Z'))).toBe(true);
    expect(isWindowOpen(weekend, 'UTC', at('2026-11-30T00:00:00Z'))).toBe(false);
  });
});

describe('nextWindowOpening edges', () => {
  it('skips to the weekend, and the week after when today is past', () => {
    const weekend = parse('weekends', '10:00-18:00');
    expect(iso(nextWindowOpening(weekend, 'UTC', at('2026-11-25T12:00:00Z')))).toBe('2026-11-28T10:00:00.000Z');
    expect(iso(nextWindowOpening(weekend, 'UTC', at('2026-11-29T19:00:00Z')))).toBe('2026-12-05T10:00:00.000Z');
  });
  it('does not open a wrapped span on a day not listed', () => {
    const fridayNight = parse('fri', '22:00-06:00');
    expect(iso(nextWindowOpening(fridayNight, 'UTC', at('2026-11-28T07:00:00Z')))).toBe('2026-12-04T22:00:00.000Z');
  });
  it('opens at the local time in America/New_York across fall-back', () => {
    const office = parse('mon-fri', '09:00-17:00');
    // DST ends Sunday 2026-11-01: Friday 09:00 EDT = 13:00Z; Monday 09:00 EST = 14:00Z.
    expect(iso(nextWindowOpening(office, 'America/New_York', at('2026-10-30T22:00:00Z')))).toBe('2026-11-02T14:00:00.000Z');
  });
  it('opens at the local time in Europe/Paris across spring-forward', () => {
    const office = parse('daily', '09:00-17:00');
    // Saturday 09:00 CET = 08:00Z; Sunday 2026-03-29 09:00 CEST = 07:00Z.
    expect(iso(nextWindowOpening(office, 'Europe/Paris', at('2026-03-28T17:00:00Z')))).toBe('2026-03-29T07:00:00.000Z');
  });
  it('skips a day whose whole span falls in the spring-forward gap', () => {
    const inGap = parse('daily', '02:10-02:40');
    // 2026-03-29 has no 02:xx in Paris; the next opening is Monday 02:10 CEST = 00:10Z.
    expect(iso(nextWindowOpening(inGap, 'Europe/Paris', at('2026-03-28T12:00:00Z')))).toBe('2026-03-30T00:10:00.000Z');
  });
  it('reopens when the fall-back repeats an hour of the window', () => {
    // Paris 2026-10-25: 03:00 CEST → 02:00 CET. 01:00-02:30 is open, closes at 02:30 CEST (00:30Z), then
    // the wall clock reads 02:00 again at 01:00Z: open again until 02:30 CET.
    const night = parse('daily', '01:00-02:30');
    expect(isWindowOpen(night, 'Europe/Paris', at('2026-10-25T00:45:00Z'))).toBe(false);
    expect(iso(nextWindowOpening(night, 'Europe/Paris', at('2026-10-25T00:45:00Z')))).toBe('2026-10-25T01:00:00.000Z');
  });
  it('is exact to the minute and keeps now when already open', () => {
    const office = parse('daily', '09:00-17:00');
    const open = at('2026-11-27T09:00:00Z');
    expect(nextWindowOpening(office, 'UTC', open)).toBe(open);
    expect(iso(nextWindowOpening(office, 'UTC', at('2026-11-27T08:59:30.5Z')))).toBe('2026-11-27T09:00:00.000Z');
    expect(iso(nextWindowOpening(office, 'UTC', at('2026-11-27T17:00:00Z')))).toBe('2026-11-28T09:00:00.000Z');
  });
});

describe('zone helpers', () => {
  it('lists zero, one or two instants for a wall time', () => {
    expect(instantsAt(at('2026-03-29T02:30:00Z'), 'Europe/Paris')).toEqual([]);
    expect(instantsAt(at('2026-10-25T02:30:00Z'), 'Europe/Paris').map(iso)).toEqual(['2026-10-25T00:30:00.000Z', '2026-10-25T01:30:00.000Z']);
    expect(instantsAt(at('2026-06-01T12:00:00Z'), 'Asia/Kolkata').map(iso)).toEqual(['2026-06-01T06:30:00.000Z']);
  });
  it('finds DST transitions exactly', () => {
    expect(transitionsBetween(at('2026-03-01T00:00:00Z'), at('2026-04-01T00:00:00Z'), 'America/New_York').map(iso)).toEqual(['2026-03-08T07:00:00.000Z']);
    expect(transitionsBetween(at('2026-01-01T00:00:00Z'), at('2026-02-01T00:00:00Z'), 'UTC')).toEqual([]);
  });
});
