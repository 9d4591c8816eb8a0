import { describe, expect, it } from 'vitest';
import { parseScheduleSpec } from '../schedule/parse.ts';
import { longestScheduleWaitMs, nextScheduleOccurrence } from './schedule.ts';

const parse = (days: string, at: string, timezone = 'user') => {
  const r = parseScheduleSpec({ days, at, timezone });
  if (!r.ok) throw new Error(r.message);
  return r.schedule;
};
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const next = (days: string, at: string, zone: string, after: string) => iso(nextScheduleOccurrence(parse(days, at), zone, Date.parse(after)));

describe('parseScheduleSpec', () => {
  it('reads days as a send window does, and one time of day', () => {
    expect(parse('weekdays', '09:00')).toEqual({ days: [1, 2, 3, 4, 5], atMinute: 540, timezone: 'user' });
    expect(parse('daily', '17:30', 'Europe/Paris')).toEqual({ days: [1, 2, 3, 4, 5, 6, 7], atMinute: 1050, timezone: 'Europe/Paris' });
    expect(parse('mon,thu', '7')).toMatchObject({ days: [1, 4], atMinute: 420 });
  });
  it('says which field is wrong and how to fix it', () => {
    expect(parseScheduleSpec({ days: 'weekdayz', at: '09:00', timezone: 'user' })).toMatchObject({ ok: false, field: 'days' });
    expect(parseScheduleSpec({ days: 'daily', at: '9am', timezone: 'user' })).toMatchObject({
      ok: false,
      field: 'at',
      hint: expect.stringContaining("'09:00'"),
    });
    expect(parseScheduleSpec({ days: 'daily', at: '24:00', timezone: 'user' })).toMatchObject({ ok: false, field: 'at' });
    expect(parseScheduleSpec({ days: 'daily', at: '09:00', timezone: 'Mars/Olympus' })).toMatchObject({ ok: false, field: 'timezone' });
  });
});

describe('nextScheduleOccurrence', () => {
  it('is the next listed day at the time, in the zone', () => {
    // Monday 12:00 UTC = 13:00 Paris → Tuesday 09:00 Paris.
    expect(next('weekdays', '09:00', 'Europe/Paris', '2025-01-06T12:00:00Z')).toBe('2025-01-07T08:00:00.000Z');
    // Monday 07:00 UTC = 08:00 Paris → the same morning.
    expect(next('weekdays', '09:00', 'Europe/Paris', '2025-01-06T07:00:00Z')).toBe('2025-01-06T08:00:00.000Z');
    // Friday after 09:00 → Monday.
    expect(next('weekdays', '09:00', 'UTC', '2025-01-10T09:30:00Z')).toBe('2025-01-13T09:00:00.000Z');
    expect(next('sat', '10:00', 'America/New_York', '2025-01-06T12:00:00Z')).toBe('2025-01-11T15:00:00.000Z');
  });
  it('is strictly after: opened at the occurrence, or inside its minute, it waits for the following one', () => {
    expect(next('daily', '09:00', 'UTC', '2025-01-06T09:00:00Z')).toBe('2025-01-07T09:00:00.000Z');
    expect(next('daily', '09:00', 'UTC', '2025-01-06T09:00:20Z')).toBe('2025-01-07T09:00:00.000Z');
    expect(next('daily', '09:00', 'UTC', '2025-01-06T08:59:59.999Z')).toBe('2025-01-06T09:00:00.000Z');
  });
  it('keeps local time across DST; a local time the clocks skip does not occur that day', () => {
    // Paris springs forward on Sunday 2025-03-30 at 02:00 (to 03:00): 09:00 is then UTC+2.
    expect(next('daily', '09:00', 'Europe/Paris', '2025-03-29T12:00:00Z')).toBe('2025-03-30T07:00:00.000Z');
    // 02:30 never happens on the 30th: the digest stays open until Monday's 02:30.
    expect(next('daily', '02:30', 'Europe/Paris', '2025-03-29T12:00:00Z')).toBe('2025-03-31T00:30:00.000Z');
  });
});

describe('longestScheduleWaitMs', () => {
  it('is the widest gap between listed days, plus an hour for DST', () => {
    const HOUR = 3_600_000;
    expect(longestScheduleWaitMs(parse('daily', '09:00'))).toBe(25 * HOUR);
    expect(longestScheduleWaitMs(parse('weekdays', '09:00'))).toBe(73 * HOUR);
    expect(longestScheduleWaitMs(parse('mon', '09:00'))).toBe(7 * 24 * HOUR + HOUR);
  });
});
