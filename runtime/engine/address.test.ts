/**
 * The address grace: a send with nothing to send, for want of an address only, waits for the profile to get
 * one (a track that overtook its identify) — on its timer, or until a `profileChanged` fact brings one.
 */
import { describe, expect, it } from 'vitest';
import type { Bundle, Step } from '../../compiler/bundle/schema.ts';
import { advance, createRun } from './index.ts';
import { simulate } from '../memory-driver/index.ts';
import { makeBundle, makeUser, send, workflow, engineRun, scheduleOf } from '../../test/setup/engine-bundle.ts';
import type { Action, Fact, RunState, UserSnapshot } from './types.ts';

const SECOND = 1_000;
const noEmail = makeUser({ email: null });
const withEmail = makeUser();

type SendAction = Extract<Action, { type: 'send' }>;

/** One send step run by hand: each fact with the user as the driver would read it then. */
function harness(steps: Step[], settings: Partial<Bundle['settings']> = {}, userId: string | null = 'u1') {
  const wf = workflow('w', steps);
  const base = makeBundle(wf);
  const run = engineRun(wf, { bundle: { ...base, settings: { ...base.settings, ...settings } }, userId });
  return {
    feed(fact: Fact, user: UserSnapshot): Action[] {
      const before = run.state;
      const actions = run.feed(fact, user);
      // A fact that asks nothing leaves the state as it was (the same object): nothing to save.
      if (actions.length === 0) expect(run.state).toBe(before);
      return actions;
    },
    get state() {
      return run.state;
    },
  };
}
const sendOf = (actions: Action[]) => actions.find((a): a is SendAction => a.type === 'send');
const dispatched = (state: RunState) => state.history.find((h) => h.outcome === 'dispatched');

describe('a send whose recipient has no address yet', () => {
  it('waits the default grace (10 s), then sends to the address the profile got meanwhile', () => {
    const h = harness([send('welcome', 'email')]);
    const started = h.feed({ type: 'start', now: 0 }, noEmail);
    expect(sendOf(started)).toBeUndefined();
    expect(scheduleOf(started)).toMatchObject({ at: 10 * SECOND, stepId: 'welcome' });
    expect(h.state.waiting).toMatchObject({ kind: 'address', stepId: 'welcome', until: 10 * SECOND });
    expect(h.state.history.at(-1)).toMatchObject({
      stepId: 'welcome',
      kind: 'send',
      outcome: 'waiting',
      detail: { reason: 'no_address', grace: 10 * SECOND, until: 10 * SECOND, channels: ['email'] },
    });

    const actions = h.feed({ type: 'timer', now: 10 * SECOND, token: scheduleOf(started)!.token }, withEmail);
    expect(sendOf(actions)).toMatchObject({ candidates: [{ channel: 'email' }], skipped: [] });
    expect(dispatched(h.state)?.detail).toMatchObject({ candidates: ['email'], waited: 10 * SECOND });
  });

  it('is skipped after the grace when no address came, the skip saying how long it waited', () => {
    const h = harness([send('welcome', 'email')]);
    const token = scheduleOf(h.feed({ type: 'start', now: 0 }, noEmail))!.token;
    const actions = h.feed({ type: 'timer', now: 10 * SECOND, token }, noEmail);
    expect(sendOf(actions)).toMatchObject({
      candidates: [],
      skipped: [{ channel: 'email', reason: 'no_address', detail: { needs: 'email', waited: 10 * SECOND } }],
    });
    expect(h.state.waiting).toMatchObject({ kind: 'send', reply: 'sendResult' });
    expect(h.state.history.filter((e) => e.outcome === 'waiting')).toHaveLength(1);
  });

  it('goes on as soon as the profile gets the address (profileChanged), and ignores the old timer', () => {
    const h = harness([send('welcome', 'email')]);
    const token = scheduleOf(h.feed({ type: 'start', now: 0 }, noEmail))!.token;
    // A change that brings nothing to send to (a trait) leaves it waiting: the very same state.
    expect(h.feed({ type: 'profileChanged', now: 1 * SECOND }, makeUser({ email: null, traits: { plan: 'team' } }))).toEqual([]);
    const actions = h.feed({ type: 'profileChanged', now: 3 * SECOND }, withEmail);
    expect(sendOf(actions)).toMatchObject({ candidates: [{ channel: 'email' }] });
    expect(dispatched(h.state)).toMatchObject({ at: 3 * SECOND, detail: { waited: 3 * SECOND } });
    h.feed({ type: 'sendResult', now: 3 * SECOND, stepId: 'welcome', messages: [{ messageId: 'm1', channel: 'email', status: 'sent' }] }, withEmail);
    expect(h.state.status).toBe('completed');
    expect(h.feed({ type: 'timer', now: 10 * SECOND, token }, withEmail)).toEqual([]);
  });

  it('takes settings.addressGrace; 0 skips at once', () => {
    const short = harness([send('welcome', 'email')], { addressGrace: 2 * SECOND });
    expect(scheduleOf(short.feed({ type: 'start', now: 0 }, noEmail))).toMatchObject({ at: 2 * SECOND });
    const off = harness([send('welcome', 'email')], { addressGrace: 0 });
    expect(sendOf(off.feed({ type: 'start', now: 0 }, noEmail))).toMatchObject({
      candidates: [],
      skipped: [{ reason: 'no_address', detail: { needs: 'email' } }],
    });
    expect(dispatched(off.state)?.detail?.waited).toBeUndefined();
  });

  it('does not wait when another channel can take the message, or when an address would not help', () => {
    const emailOrSms = send('welcome', 'email', { routing: { method: 'single', channels: ['email', 'sms'], strategy: 'ordered' } });
    const smsOnly = harness([emailOrSms]);
    expect(sendOf(smsOnly.feed({ type: 'start', now: 0 }, noEmail))).toMatchObject({ candidates: [{ channel: 'sms' }], skipped: [{ channel: 'email' }] });

    // Opted out of email: an address would change nothing.
    const optedOut = harness([send('welcome', 'email')]);
    const user = makeUser({ email: null, preferences: { 'product-updates': { email: false } } });
    expect(sendOf(optedOut.feed({ type: 'start', now: 0 }, user))).toMatchObject({ skipped: [{ reason: 'preference' }] });

    // A direct recipient (no user id): no profile will change.
    const direct = harness([send('welcome', 'email')], {}, null);
    expect(sendOf(direct.feed({ type: 'start', now: 0 }, makeUser({ id: null, email: null })))).toMatchObject({ skipped: [{ reason: 'no_address' }] });
  });

  it('does not wait for a channel no provider serves', () => {
    const wf = workflow('w', [send('welcome', 'email')]);
    const { email: _email, ...channels } = makeBundle(wf).channels;
    const bundle = { ...makeBundle(wf), channels };
    const run = createRun({ runId: 'r', workflow: wf, bundleVersion: bundle.version, userId: 'u1', data: {} });
    const result = advance(run, { type: 'start', now: 0 }, bundle, { user: noEmail });
    expect(sendOf(result.actions)).toMatchObject({ candidates: [], skipped: [{ channel: 'email', reason: 'no_address' }] });
  });

  it('ignores profileChanged when the run waits for anything else', () => {
    const h = harness([{ id: 'd', kind: 'delay', durationMs: 60 * SECOND }, send('welcome', 'email')]);
    h.feed({ type: 'start', now: 0 }, noEmail);
    expect(h.feed({ type: 'profileChanged', now: SECOND }, withEmail)).toEqual([]);
    expect(h.state.waiting).toMatchObject({ kind: 'delay' });
  });
});

describe('the in-memory driver', () => {
  const bundle = makeBundle(workflow('w', [send('welcome', 'email')]));
  it('wakes the send when a script gives the profile its address during the grace', () => {
    const sim = simulate({ bundle, workflowId: 'w', user: noEmail, script: [{ at: 4 * SECOND, user: { email: 'ada@example.com' } }] });
    expect(sim.messages).toEqual([expect.objectContaining({ at: 4 * SECOND, channel: 'email', status: 'sent' })]);
  });
  it('skips at the grace when the address comes too late', () => {
    const sim = simulate({ bundle, workflowId: 'w', user: noEmail, script: [{ at: 12 * SECOND, user: { email: 'ada@example.com' } }] });
    expect(sim.messages).toEqual([expect.objectContaining({ at: 10 * SECOND, channel: 'email', status: 'skipped', reason: 'no_address' })]);
  });
});
