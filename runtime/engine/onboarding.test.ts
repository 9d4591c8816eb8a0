import { describe, expect, it } from 'vitest';
import { advance, createRun } from './index.ts';
import { simulate } from '../memory-driver/index.ts';
import { HOUR, MINUTE, makeBundle, makeUser, onboarding } from '../../test/setup/engine-bundle.ts';
import type { Action, Fact, RunState } from './types.ts';

const bundle = makeBundle(onboarding);
const sent = (r: ReturnType<typeof simulate>) => r.messages.filter((m) => m.status === 'sent').map((m) => `${m.at / MINUTE}m ${m.stepId}:${m.channel}`);

describe('onboarding flow in virtual time', () => {
  it('email opened → next steps as soon as it is opened', () => {
    const r = simulate({
      bundle,
      workflowId: 'onboarding',
      user: makeUser(),
      script: [{ at: 30 * MINUTE, fact: { type: 'engagement', stepId: 'welcome', kind: 'opened' } }],
    });
    expect(sent(r)).toEqual(['0m welcome:email', '30m next-steps:email']);
    expect(r.state.status).toBe('completed');
    expect(r.state.history.find((h) => h.stepId === 'welcome-opened' && h.outcome === 'matched')).toBeDefined();
  });

  it('never opened but active within 5 minutes → in-app nudge at +2h', () => {
    const r = simulate({ bundle, workflowId: 'onboarding', user: makeUser(), script: [{ at: 2 * HOUR - 2 * MINUTE, active: true }] });
    expect(sent(r)).toEqual(['0m welcome:email', '120m nudge-inapp:inapp']);
  });

  it('never opened, inactive → SMS at +2h', () => {
    const r = simulate({ bundle, workflowId: 'onboarding', user: makeUser() });
    expect(sent(r)).toEqual(['0m welcome:email', '120m nudge-sms:sms']);
    const branch = r.state.history.find((h) => h.kind === 'branch');
    expect(branch?.detail?.arm).toBe('otherwise');
    expect(r.timeline.at(-1)).toEqual({ at: 2 * HOUR, action: { type: 'finished', status: 'completed' } });
  });

  it('a click counts as an open (clicked ⇒ opened ⇒ delivered)', () => {
    const r = simulate({
      bundle,
      workflowId: 'onboarding',
      user: makeUser(),
      script: [{ at: 10 * MINUTE, fact: { type: 'engagement', stepId: 'welcome', kind: 'clicked' } }],
    });
    expect(sent(r)).toEqual(['0m welcome:email', '10m next-steps:email']);
  });
});

/** Drives the engine by hand, answering nothing automatically, to look at each step's actions. */
function driver(user = makeUser()) {
  let state: RunState = createRun({ runId: 'r1', workflow: onboarding, bundleVersion: bundle.version, userId: 'u1', data: { first_name: 'Ada' } });
  const feed = (fact: Fact): Action[] => {
    const before = structuredClone(state);
    const result = advance(state, fact, bundle, { user });
    expect(state).toEqual(before); // never mutates its input
    state = result.state;
    return result.actions;
  };
  return {
    feed,
    get state() {
      return state;
    },
  };
}

const welcomeSent: Fact = { type: 'sendResult', now: 1, stepId: 'welcome', messages: [{ messageId: 'm1', channel: 'email', status: 'sent' }] };

describe('onboarding flow, fact by fact', () => {
  it('continues at once when the open arrived before the wait', () => {
    const d = driver();
    expect(d.feed({ type: 'start', now: 0 })).toMatchObject([
      { type: 'send', stepId: 'welcome', candidates: [{ channel: 'email', providers: ['sendgrid', 'sendgrid-backup'] }] },
    ]);
    // The webhook beats the send result: the open is recorded while the run still waits on the send.
    expect(d.feed({ type: 'engagement', now: 1, stepId: 'welcome', kind: 'opened' })).toEqual([]);
    expect(d.state.engagements).toEqual({ welcome: ['opened'] });
    const actions = d.feed({ ...welcomeSent, now: 2 });
    expect(actions.map((a) => a.type)).toEqual(['send']);
    expect(actions[0]).toMatchObject({ stepId: 'next-steps' });
    expect(d.state.history.find((h) => h.stepId === 'welcome-opened')).toMatchObject({ outcome: 'matched', detail: { early: true } });
  });

  it('does not resume twice on a duplicate engagement, and ignores the stale timeout', () => {
    const d = driver();
    d.feed({ type: 'start', now: 0 });
    const waiting = d.feed(welcomeSent);
    expect(waiting).toEqual([{ type: 'schedule', at: 1 + 2 * HOUR, token: expect.any(String), stepId: 'welcome-opened' }]);
    const token = (waiting[0] as Extract<Action, { type: 'schedule' }>).token;
    expect(d.feed({ type: 'engagement', now: 5, stepId: 'welcome', kind: 'opened' })).toMatchObject([{ type: 'send', stepId: 'next-steps' }]);
    const afterMatch = d.state;
    expect(d.feed({ type: 'engagement', now: 6, stepId: 'welcome', kind: 'opened' })).toEqual([]);
    expect(d.state).toBe(afterMatch);
    expect(d.feed({ type: 'timer', now: 2 * HOUR, token })).toEqual([]);
    expect(d.state).toBe(afterMatch);
    expect(d.state.waiting).toMatchObject({ stepId: 'next-steps', kind: 'send' });
  });

  it('ignores replies it does not wait for and engagements of unknown steps', () => {
    const d = driver();
    d.feed({ type: 'start', now: 0 });
    const before = d.state;
    expect(d.feed({ type: 'sendResult', now: 1, stepId: 'nudge-sms', messages: [] })).toEqual([]);
    expect(d.feed({ type: 'throttleResult', now: 1, stepId: 'x', allowed: true, count: 1 })).toEqual([]);
    expect(d.feed({ type: 'engagement', now: 1, stepId: 'no-such-step', kind: 'opened' })).toEqual([]);
    expect(d.feed({ type: 'start', now: 1 })).toEqual([]);
    expect(d.state).toBe(before);
  });

  it('times out into the branch and explains it', () => {
    const d = driver(makeUser({ lastActiveAt: 0 }));
    d.feed({ type: 'start', now: 0 });
    const [schedule] = d.feed(welcomeSent) as [Extract<Action, { type: 'schedule' }>];
    const actions = d.feed({ type: 'timer', now: schedule.at, token: schedule.token });
    expect(actions).toMatchObject([{ type: 'send', stepId: 'nudge-sms' }]);
    const branch = d.state.history.find((h) => h.kind === 'branch');
    expect(branch?.detail).toEqual({
      arm: 'otherwise',
      arms: [
        { arm: 0, value: false, explain: { op: 'engaged', value: false, step: 'welcome', kind: 'opened', seen: [] } },
        { arm: 1, value: false, explain: { op: 'activeWithin', value: false, durationMs: 5 * MINUTE, lastActiveAt: 0, now: schedule.at } },
      ],
    });
    expect(d.state.cursor.frames).toEqual([
      { list: 'root', index: 2 },
      { list: 'follow-up#otherwise', index: 0 },
    ]);
  });

  it('ends on a cancel fact and ignores everything after', () => {
    const d = driver();
    d.feed({ type: 'start', now: 0 });
    expect(d.feed({ type: 'cancel', now: 3, reason: 'user deleted' })).toEqual([{ type: 'finished', status: 'cancelled', reason: 'user deleted' }]);
    const ended = d.state;
    expect(ended).toMatchObject({ status: 'cancelled', waiting: null });
    expect(d.feed(welcomeSent)).toEqual([]);
    expect(d.state).toBe(ended);
  });
});
