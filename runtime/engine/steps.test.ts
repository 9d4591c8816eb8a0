import { describe, expect, it } from 'vitest';
import type { Step, Workflow } from '../../compiler/bundle/schema.ts';
import { advance, CorruptStateError } from './index.ts';
import { simulate } from '../memory-driver/index.ts';
import { HOUR, MINUTE, makeBundle, makeUser, send, workflow, engineRun, scheduleOf } from '../../test/setup/engine-bundle.ts';

const harness = (steps: Step[], extra: Partial<Workflow> = {}, data = {}) => engineRun(workflow('w', steps, extra), { data });

describe('delay', () => {
  it('waits for its own timer and ignores a stale one', () => {
    const h = harness([
      { id: 'd', kind: 'delay', durationMs: HOUR },
      { id: 'c', kind: 'cancel', reason: 'done' },
    ]);
    const schedule = scheduleOf(h.feed({ type: 'start', now: 10 }));
    expect(schedule).toMatchObject({ at: 10 + HOUR, stepId: 'd' });
    expect(h.state.waiting).toMatchObject({ kind: 'delay', until: 10 + HOUR, token: schedule?.token });
    expect(h.feed({ type: 'timer', now: 10 + HOUR, token: 'd@999' })).toEqual([]);
    expect(h.state.status).toBe('waiting');
    expect(h.feed({ type: 'timer', now: 10 + HOUR, token: schedule?.token ?? '' })).toEqual([{ type: 'finished', status: 'cancelled', reason: 'done' }]);
    expect(h.state.history.map((e) => `${e.stepId}:${e.outcome}`)).toEqual([':started', 'd:waiting', 'd:elapsed', 'c:cancelled', ':cancelled']);
  });

  it('ends on a cancelOn event mid-delay, with the event in history', () => {
    const h = harness([{ id: 'd', kind: 'delay', durationMs: HOUR }, send('s')]);
    const schedule = scheduleOf(h.feed({ type: 'start', now: 0 }));
    expect(h.feed({ type: 'event', now: 5, event: 'unrelated' })).toEqual([]);
    expect(h.state.status).toBe('waiting');
    expect(h.feed({ type: 'event', now: 6, event: 'trial_cancelled' })).toEqual([{ type: 'finished', status: 'cancelled', reason: 'event "trial_cancelled"' }]);
    expect(h.state.history.at(-2)).toEqual({ at: 6, stepId: 'd', kind: 'event', outcome: 'cancelled', detail: { event: 'trial_cancelled' } });
    expect(h.feed({ type: 'timer', now: HOUR, token: schedule?.token ?? '' })).toEqual([]);
  });

  it('gives each timer a unique token', () => {
    const r = simulate({
      bundle: makeBundle(
        workflow('w', [
          { id: 'a', kind: 'delay', durationMs: 1 },
          { id: 'b', kind: 'delay', durationMs: 1 },
        ]),
      ),
      workflowId: 'w',
    });
    const tokens = r.timeline.flatMap((e) => ('action' in e && e.action.type === 'schedule' ? [e.action.token] : []));
    expect(new Set(tokens).size).toBe(2);
    expect(r.state.status).toBe('completed');
  });
});

describe('waitFor event', () => {
  const steps: Step[] = [{ id: 'wait', kind: 'waitFor', until: { type: 'event', event: 'checkout' }, timeoutMs: HOUR }, send('after')];
  it('counts an event seen earlier in the run', () => {
    const h = harness([{ id: 'd', kind: 'delay', durationMs: MINUTE }, ...steps]);
    const schedule = scheduleOf(h.feed({ type: 'start', now: 0 }));
    h.feed({ type: 'event', now: 1, event: 'checkout' });
    const actions = h.feed({ type: 'timer', now: MINUTE, token: schedule?.token ?? '' });
    expect(actions).toMatchObject([{ type: 'send', stepId: 'after' }]);
    expect(h.state.history.find((e) => e.stepId === 'wait')).toMatchObject({ outcome: 'matched', detail: { early: true } });
  });
  it('resumes on the event, or on the timeout', () => {
    // A user with an address: the sends go out at once (without one they would wait the address grace).
    const matched = simulate({
      bundle: makeBundle(workflow('w', steps)),
      workflowId: 'w',
      user: makeUser(),
      script: [{ at: MINUTE, fact: { type: 'event', event: 'checkout' } }],
    });
    expect(matched.messages).toMatchObject([{ at: MINUTE, stepId: 'after' }]);
    const timedOut = simulate({ bundle: makeBundle(workflow('w', steps)), workflowId: 'w', user: makeUser() });
    expect(timedOut.messages).toMatchObject([{ at: HOUR, stepId: 'after' }]);
    expect(timedOut.state.history.find((e) => e.stepId === 'wait' && e.outcome === 'timeout')).toBeDefined();
  });
});

describe('digest', () => {
  const steps: Step[] = [{ id: 'dig', kind: 'digest', windowMs: 10 * MINUTE, key: 'data.thread' }, send('summary')];
  it('as owner, collects after its window and continues with the items', () => {
    const h = harness(steps, {}, { thread: 't1', n: 1 });
    expect(h.feed({ type: 'start', now: 0 })).toEqual([{ type: 'digestJoin', stepId: 'dig', key: 't1', windowMs: 10 * MINUTE, item: { thread: 't1', n: 1 } }]);
    const schedule = scheduleOf(h.feed({ type: 'digestResult', now: 1, stepId: 'dig', role: 'owner' }));
    expect(schedule?.at).toBe(1 + 10 * MINUTE);
    expect(h.feed({ type: 'timer', now: schedule?.at ?? 0, token: schedule?.token ?? '' })).toEqual([{ type: 'digestCollect', stepId: 'dig', key: 't1' }]);
    const items = [
      { thread: 't1', n: 1 },
      { thread: 't1', n: 2 },
    ];
    expect(h.feed({ type: 'digestCollected', now: 10 * MINUTE + 2, stepId: 'dig', items })).toMatchObject([{ type: 'send', stepId: 'summary' }]);
    expect(h.state.digest).toEqual({ count: 2, items, omitted: 0 });
  });
  it('as a joiner, ends the run as digested', () => {
    const h = harness(steps, {}, { thread: 't1' });
    h.feed({ type: 'start', now: 0 });
    expect(h.feed({ type: 'digestResult', now: 1, stepId: 'dig', role: 'joined' })).toEqual([{ type: 'finished', status: 'completed', reason: 'digested' }]);
    expect(h.state.history.find((e) => e.stepId === 'dig' && e.outcome === 'digested')).toBeDefined();
  });
});

describe('throttle', () => {
  const steps: Step[] = [{ id: 't', kind: 'throttle', limit: 2, windowMs: HOUR, key: 'data.account' }, send('s')];
  it('continues when allowed', () => {
    const h = harness(steps, {}, { account: 42 });
    expect(h.feed({ type: 'start', now: 0 })).toEqual([{ type: 'throttle', stepId: 't', key: '42', limit: 2, windowMs: HOUR }]);
    expect(h.feed({ type: 'throttleResult', now: 1, stepId: 't', allowed: true, count: 1 })).toMatchObject([{ type: 'send' }]);
  });
  it('ends the run when over the limit, with count and limit in history', () => {
    const h = harness(steps, {}, { account: 42 });
    h.feed({ type: 'start', now: 0 });
    expect(h.feed({ type: 'throttleResult', now: 1, stepId: 't', allowed: false, count: 3 })).toEqual([
      { type: 'finished', status: 'completed', reason: 'throttled' },
    ]);
    expect(h.state.history.find((e) => e.outcome === 'throttled')).toMatchObject({ detail: { count: 3, limit: 2 } });
  });
});

describe('updateProfile', () => {
  it('resolves literals and refs, leaves out missing refs, and later steps see the change', () => {
    const steps: Step[] = [
      {
        id: 'u',
        kind: 'updateProfile',
        set: {
          'traits.plan': { ref: 'data.plan' },
          email: { value: 'new@example.com' },
          'traits.x': { ref: 'data.missing' },
          'traits.company': { ref: 'user.traits.plan' },
        },
      },
      {
        id: 'b',
        kind: 'branch',
        arms: [{ when: { op: 'compare', left: { ref: 'user.traits.plan' }, cmp: 'eq', right: 'enterprise' }, steps: [send('vip')] }],
        otherwise: [],
      },
    ];
    const h = harness(steps, {}, { plan: 'enterprise' });
    const actions = h.feed({ type: 'start', now: 0 });
    expect(actions[0]).toEqual({ type: 'updateProfile', stepId: 'u', set: { 'traits.plan': 'enterprise', email: 'new@example.com', 'traits.company': 'pro' } });
    expect(actions[1]).toMatchObject({ type: 'send', stepId: 'vip' });
    expect(h.state.history.find((e) => e.stepId === 'u')?.detail?.missing).toEqual(['traits.x']);
  });
});

describe('branches and the cursor', () => {
  it('continues after the branch when an arm ends, and handles nested branches', () => {
    const steps: Step[] = [
      {
        id: 'outer',
        kind: 'branch',
        arms: [
          {
            when: { op: 'compare', left: { ref: 'data.n' }, cmp: 'gt', right: 1 },
            steps: [{ id: 'inner', kind: 'branch', arms: [], otherwise: [{ id: 'p', kind: 'updateProfile', set: { 'traits.a': { value: 1 } } }] }],
          },
        ],
        otherwise: [],
      },
      send('last'),
    ];
    const h = harness(steps, {}, { n: 2 });
    expect(h.feed({ type: 'start', now: 0 }).map((a) => a.type)).toEqual(['updateProfile', 'send']);
    expect(h.state.cursor.frames).toEqual([{ list: 'root', index: 1 }]);
  });

  it('throws on a cursor that does not fit the workflow, and on another bundle version', () => {
    const h = harness([send('s')]);
    h.feed({ type: 'start', now: 0 });
    const corrupt = {
      ...h.state,
      cursor: {
        frames: [
          { list: 'root', index: 0 },
          { list: 'nope#0', index: 0 },
        ],
      },
      waiting: null,
      status: 'running' as const,
    };
    expect(() => advance(corrupt, { type: 'sendResult', now: 1, stepId: 's', messages: [] }, h.bundle, { user: makeUser() })).not.toThrow(); // ignored: not waiting
    const corruptWaiting = { ...corrupt, waiting: { stepId: 's', kind: 'send' as const, reply: 'sendResult' as const } };
    expect(() => advance(corruptWaiting, { type: 'sendResult', now: 1, stepId: 's', messages: [] }, h.bundle, { user: makeUser() })).toThrow(CorruptStateError);
    const other = { ...h.bundle, version: `sha256:${'1'.repeat(64)}` };
    expect(() => advance(h.state, { type: 'cancel', now: 1, reason: 'x' }, other, { user: makeUser() })).toThrow(/bundle/);
  });

  it('records events and engagements that arrive before the start, and a cancel before it ends the run', () => {
    const h = harness([send('s')]);
    expect(h.feed({ type: 'event', now: 0, event: 'x' })).toEqual([]);
    expect(h.state.events).toEqual([{ event: 'x', at: 0 }]);
    expect(h.state.status).toBe('running');
    expect(h.feed({ type: 'start', now: 1 })).toMatchObject([{ type: 'send' }]);
    const early = harness([send('s')]);
    expect(early.feed({ type: 'cancel', now: 0, reason: 'unsubscribed' })).toEqual([{ type: 'finished', status: 'cancelled', reason: 'unsubscribed' }]);
    expect(early.feed({ type: 'start', now: 1 })).toEqual([]);
  });
});
