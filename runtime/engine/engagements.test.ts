import { describe, expect, it } from 'vitest';
import type { EngagementKind, Step } from '../../compiler/bundle/schema.ts';
import { HOUR, makeBundle, makeUser, send, workflow } from '../../test/setup/engine-bundle.ts';
import { advance, createRun, engagementSeen } from './index.ts';
import type { Fact, RunState } from './types.ts';

describe('engagement ranking: delivered < seen < read = opened < clicked', () => {
  const answers = (reported: EngagementKind[]) =>
    Object.fromEntries((['delivered', 'seen', 'read', 'opened', 'clicked'] as const).map((kind) => [kind, engagementSeen(reported, kind)]));

  it('a read (in-app) answers "opened?", and an open (email) answers "read?": one rung', () => {
    expect(answers(['read'])).toEqual({ delivered: true, seen: true, read: true, opened: true, clicked: false });
    expect(answers(['opened'])).toEqual({ delivered: true, seen: true, read: true, opened: true, clicked: false });
  });

  it('seen is below read: the list was opened, the item not yet', () => {
    expect(answers(['seen'])).toEqual({ delivered: true, seen: true, read: false, opened: false, clicked: false });
    expect(answers(['delivered'])).toEqual({ delivered: true, seen: false, read: false, opened: false, clicked: false });
  });

  it('a click implies everything below it, and nothing reported answers nothing', () => {
    expect(answers(['clicked'])).toEqual({ delivered: true, seen: true, read: true, opened: true, clicked: true });
    expect(answers([])).toEqual({ delivered: false, seen: false, read: false, opened: false, clicked: false });
    expect(engagementSeen(undefined, 'delivered')).toBe(false);
  });
});

describe('waits and conditions on an in-app send', () => {
  // Send in-app, wait up to 1h for it to be read, then email unless it was read.
  const steps: Step[] = [
    send('note', 'inapp'),
    { id: 'note-read', kind: 'waitFor', until: { type: 'engagement', step: 'note', kind: 'read' }, timeoutMs: HOUR },
    {
      id: 'unread',
      kind: 'branch',
      arms: [{ when: { op: 'not', cond: { op: 'engaged', step: 'note', kind: 'read' } }, steps: [send('note-email', 'email')] }],
      otherwise: [],
    },
  ];
  const bundle = makeBundle(workflow('inapp-first', steps));

  function run() {
    let state: RunState = createRun({ runId: 'r1', workflow: bundle.workflows['inapp-first']!, bundleVersion: bundle.version, userId: 'u1', data: {} });
    const feed = (fact: Fact) => {
      const result = advance(state, fact, bundle, { user: makeUser() });
      state = result.state;
      return result.actions;
    };
    feed({ type: 'start', now: 0 });
    const waiting = feed({ type: 'sendResult', now: 1, stepId: 'note', messages: [{ messageId: 'm1', channel: 'inapp', status: 'sent' }] });
    return { feed, waiting, state: () => state };
  }

  it('resumes on a read, and the branch then sees it read', () => {
    const r = run();
    expect(r.waiting).toMatchObject([{ type: 'schedule', stepId: 'note-read' }]);
    expect(r.feed({ type: 'engagement', now: 2, stepId: 'note', kind: 'delivered' })).toEqual([]);
    expect(r.feed({ type: 'engagement', now: 3, stepId: 'note', kind: 'seen' })).toEqual([]);
    expect(r.state().waiting).toMatchObject({ stepId: 'note-read' });
    const actions = r.feed({ type: 'engagement', now: 4, stepId: 'note', kind: 'read' });
    expect(actions.map((a) => a.type)).toEqual(['finished']);
    expect(r.state().history.find((h) => h.stepId === 'note-read' && h.outcome === 'matched')).toMatchObject({ detail: { engagement: 'read' } });
    expect(r.state().engagements).toEqual({ note: ['delivered', 'seen', 'read'] });
  });

  it('a click resumes a wait for a read; a repeated read is ignored', () => {
    const r = run();
    expect(r.feed({ type: 'engagement', now: 2, stepId: 'note', kind: 'clicked' }).map((a) => a.type)).toEqual(['finished']);
    const done = r.state();
    expect(r.feed({ type: 'engagement', now: 3, stepId: 'note', kind: 'clicked' })).toEqual([]);
    expect(r.state()).toBe(done);
  });

  it('only seen by the timeout → the email goes out', () => {
    const r = run();
    r.feed({ type: 'engagement', now: 2, stepId: 'note', kind: 'seen' });
    const schedule = r.waiting.find((a) => a.type === 'schedule');
    expect(schedule).toBeDefined();
    expect(r.feed({ type: 'timer', now: schedule!.at, token: schedule!.token })).toMatchObject([{ type: 'send', stepId: 'note-email' }]);
  });
});
