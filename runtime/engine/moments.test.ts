/**
 * Waits for a moment: a delay until a date-time the run carries (data or trait, with an offset and an ifPast
 * policy), a digest closed by the next occurrence of its schedule in the recipient's zone, and `maxItems`.
 */
import { describe, expect, it } from 'vitest';
import type { Step } from '../../compiler/bundle/schema.ts';
import { HOUR, makeBundle, makeUser, send, workflow, engineRun, scheduleOf } from '../../test/setup/engine-bundle.ts';
import { simulate } from '../memory-driver/index.ts';
import { readMoment } from './moment.ts';
import type { JsonValue, RunState, UserSnapshot } from './types.ts';

const DAY = 24 * HOUR;
/** Monday 2025-01-06 12:00 UTC. */
const MONDAY_NOON = Date.parse('2025-01-06T12:00:00Z');

const harness = (steps: Step[], data: Record<string, JsonValue> = {}, user: Partial<UserSnapshot> = {}) =>
  engineRun(workflow('w', steps), { data, user: makeUser(user) });
const lastOf = (state: RunState, stepId: string) => state.history.filter((h) => h.stepId === stepId).at(-1);

describe('delay until a moment', () => {
  const reminder = (ifPast: 'run' | 'skip' = 'run', ref = 'data.trial_ends_at'): Step[] => [
    { id: 'before-end', kind: 'delay', until: { ref }, offsetMs: -3 * DAY, ifPast },
    send('remind'),
  ];

  it('waits until the moment moved by the offset, then goes on', () => {
    const h = harness(reminder(), { trial_ends_at: '2025-01-20T12:00:00Z' });
    const timer = scheduleOf(h.feed({ type: 'start', now: MONDAY_NOON }));
    expect(timer?.at).toBe(Date.parse('2025-01-17T12:00:00Z'));
    expect(lastOf(h.state, 'before-end')).toMatchObject({ outcome: 'waiting', detail: { until: timer?.at, ref: 'data.trial_ends_at' } });
    expect(h.feed({ type: 'timer', now: timer!.at, token: timer!.token })).toMatchObject([{ type: 'send', stepId: 'remind' }]);
  });

  it('reads a trait (untyped) and an offset-bearing date-time', () => {
    const h = harness(reminder('run', 'user.traits.renewal_date'), {}, { traits: { renewal_date: '2025-02-01T09:00:00+02:00' } });
    expect(scheduleOf(h.feed({ type: 'start', now: MONDAY_NOON }))?.at).toBe(Date.parse('2025-01-29T07:00:00Z'));
  });

  it("a moment already past goes on at once with ifPast 'run', and says why", () => {
    const h = harness(reminder('run'), { trial_ends_at: '2025-01-08T12:00:00Z' });
    expect(h.feed({ type: 'start', now: MONDAY_NOON })).toMatchObject([{ type: 'send', stepId: 'remind' }]);
    expect(lastOf(h.state, 'before-end')).toMatchObject({
      outcome: 'passed',
      detail: { reason: 'until_past', ref: 'data.trial_ends_at', until: Date.parse('2025-01-05T12:00:00Z') },
    });
  });

  it("a moment already past ends the run completed with ifPast 'skip'", () => {
    const h = harness(reminder('skip'), { trial_ends_at: '2025-01-08T12:00:00Z' });
    expect(h.feed({ type: 'start', now: MONDAY_NOON })).toEqual([{ type: 'finished', status: 'completed', reason: 'until_past' }]);
    expect(h.state.status).toBe('completed');
    expect(h.state.history.at(-1)).toMatchObject({
      kind: 'run',
      outcome: 'completed',
      detail: { reason: 'until_past', stepId: 'before-end', ref: 'data.trial_ends_at' },
    });
  });

  it('treats a missing or unreadable value as past, with its own reason, under the same policy', () => {
    const missing = harness(reminder('skip'), {});
    missing.feed({ type: 'start', now: MONDAY_NOON });
    expect(missing.state.history.at(-1)).toMatchObject({ outcome: 'completed', detail: { reason: 'until_missing' } });

    const invalid = harness(reminder('run'), { trial_ends_at: 'next tuesday' });
    expect(invalid.feed({ type: 'start', now: MONDAY_NOON })).toMatchObject([{ type: 'send' }]);
    expect(lastOf(invalid.state, 'before-end')).toMatchObject({ outcome: 'passed', detail: { reason: 'until_invalid', value: 'next tuesday' } });
  });

  it('runs in virtual time on the in-memory driver', () => {
    const wf = workflow('w', reminder('run'));
    const result = simulate({
      bundle: makeBundle(wf),
      workflowId: 'w',
      user: makeUser(),
      data: { trial_ends_at: '2025-01-20T12:00:00Z' },
      startAt: MONDAY_NOON,
    });
    expect(result.messages).toMatchObject([{ stepId: 'remind', at: 11 * DAY }]);
  });
});

describe('readMoment', () => {
  it('reads ISO 8601 date-times and dates, and refuses the rest', () => {
    expect(readMoment('2025-01-20T12:00:00Z')).toEqual({ ok: true, at: Date.parse('2025-01-20T12:00:00Z') });
    expect(readMoment('2025-01-20T12:00:00.250-05:30')).toEqual({ ok: true, at: Date.parse('2025-01-20T17:30:00.250Z') });
    // No zone: read as UTC, whatever the machine's zone (Date.parse would use it).
    expect(readMoment('2025-01-20T12:00')).toEqual({ ok: true, at: Date.parse('2025-01-20T12:00:00Z') });
    expect(readMoment('2025-01-20')).toEqual({ ok: true, at: Date.parse('2025-01-20T00:00:00Z') });
    expect(readMoment(undefined)).toEqual({ ok: false, reason: 'until_missing' });
    expect(readMoment(null)).toEqual({ ok: false, reason: 'until_missing' });
    for (const bad of ['2025-02-30', '2025-01-20T25:00:00Z', 'Jan 20 2025', 1737374400000, { at: 1 }]) {
      expect(readMoment(bad as JsonValue)).toEqual({ ok: false, reason: 'until_invalid' });
    }
  });
});

describe('digest on a schedule', () => {
  const weekdays9: Step[] = [
    { id: 'dig', kind: 'digest', schedule: { days: [1, 2, 3, 4, 5], atMinute: 9 * 60, timezone: 'user' }, maxItems: 2 },
    send('summary'),
  ];

  it("closes at the schedule's next occurrence in the user's zone, not a window after it opened", () => {
    const h = harness(weekdays9, {}, { timezone: 'Europe/Paris' });
    h.feed({ type: 'start', now: MONDAY_NOON });
    const timer = scheduleOf(h.feed({ type: 'digestResult', now: MONDAY_NOON, stepId: 'dig', role: 'owner' }));
    // Tuesday 09:00 in Paris is 08:00 UTC.
    expect(timer?.at).toBe(Date.parse('2025-01-07T08:00:00Z'));
    expect(lastOf(h.state, 'dig')).toMatchObject({ outcome: 'owner', detail: { until: timer?.at, timezone: 'Europe/Paris' } });
  });

  it('skips the days the schedule does not list, and reads UTC for a user without a zone', () => {
    const friday = Date.parse('2025-01-10T10:00:00Z');
    const h = harness(weekdays9, {}, { timezone: null });
    h.feed({ type: 'start', now: friday });
    expect(scheduleOf(h.feed({ type: 'digestResult', now: friday, stepId: 'dig', role: 'owner' }))?.at).toBe(Date.parse('2025-01-13T09:00:00Z'));
  });

  it('gives later steps the oldest maxItems items, the full count and how many were left out', () => {
    const h = harness(weekdays9);
    h.feed({ type: 'start', now: MONDAY_NOON });
    const timer = scheduleOf(h.feed({ type: 'digestResult', now: MONDAY_NOON, stepId: 'dig', role: 'owner' }))!;
    h.feed({ type: 'timer', now: timer.at, token: timer.token });
    const items = [{ n: 1 }, { n: 2 }, { n: 3 }];
    h.feed({ type: 'digestCollected', now: timer.at, stepId: 'dig', items });
    expect(h.state.digest).toEqual({ count: 3, items: [{ n: 1 }, { n: 2 }], omitted: 1 });
    expect(lastOf(h.state, 'dig')).toMatchObject({ outcome: 'collected', detail: { count: 3, omitted: 1 } });
  });
});
