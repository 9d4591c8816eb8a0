import { describe, expect, it } from 'vitest';
import type { Bundle, FrequencyLimit, Step, Workflow } from '../../compiler/bundle/schema.ts';
import { HOUR, makeBundle, makeUser, send, workflow } from '../../test/setup/engine-bundle.ts';
import { MemoryDriver } from '../memory-driver/index.ts';
import { advance, capsFor, createRun, frequencySkip } from './index.ts';
import type { Action, FrequencyCap } from './types.ts';

const DAY = 24 * HOUR;
const smsCap: FrequencyLimit = { channel: 'sms', max: 3, perMs: DAY };
const updatesCap: FrequencyLimit = { category: 'product-updates', max: 5, perMs: 7 * DAY };

function withLimits(bundle: Bundle, limits: FrequencyLimit[]): Bundle {
  return { ...bundle, settings: { ...bundle.settings, limits } };
}
const sendStep = (step: Step) => step as Extract<Step, { kind: 'send' }>;

describe('capsFor: which caps a send counts against', () => {
  const wf = workflow('w', [send('s', 'sms')]);
  const bundle = withLimits(makeBundle(wf), [smsCap, updatesCap, { channel: 'email', max: 1, perMs: HOUR }]);

  it("the channel's caps and the workflow category's, named for the log", () => {
    expect(capsFor(bundle, wf, sendStep(wf.steps[0]!), 'sms')).toEqual([
      { ...smsCap, name: 'sms 3/1d' },
      { ...updatesCap, name: 'product-updates 5/1w' },
    ]);
    expect(capsFor(bundle, wf, sendStep(wf.steps[0]!), 'push').map((c) => c.name)).toEqual(['product-updates 5/1w']);
  });

  it('no category: only channel caps', () => {
    const bare = workflow('bare', [send('s', 'email')], { category: undefined });
    expect(capsFor(bundle, bare, sendStep(bare.steps[0]!), 'email').map((c) => c.name)).toEqual(['email 1/1h']);
  });

  it('none for a critical send, a required category, or a bundle without limits', () => {
    const critical = send('c', 'sms', { critical: true });
    expect(capsFor(bundle, wf, sendStep(critical), 'sms')).toEqual([]);
    const codes = workflow('codes', [send('s', 'sms')], { category: 'security' });
    expect(capsFor(bundle, codes, sendStep(codes.steps[0]!), 'sms')).toEqual([]);
    expect(capsFor(makeBundle(wf), wf, sendStep(wf.steps[0]!), 'sms')).toEqual([]);
  });
});

describe('frequencySkip: the one decision both drivers make from their counts', () => {
  const caps: FrequencyCap[] = [
    { ...smsCap, name: 'sms 3/1d' },
    { ...updatesCap, name: 'product-updates 5/1w' },
  ];
  it('lets the send go while every count is under its max', () => {
    expect(frequencySkip(caps, [2, 4])).toBeNull();
    expect(frequencySkip([], [])).toBeNull();
  });
  it('skips at the max (this send would be one more), naming the first cap reached and its count', () => {
    expect(frequencySkip(caps, [3, 0])).toEqual({ reason: 'frequency_cap', detail: { cap: 'sms 3/1d', count: 3 } });
    expect(frequencySkip(caps, [1, 7])).toEqual({ reason: 'frequency_cap', detail: { cap: 'product-updates 5/1w', count: 7 } });
  });
});

describe('the send action', () => {
  const start = (wf: Workflow, limits: FrequencyLimit[]) => {
    const bundle = withLimits(makeBundle(wf), limits);
    const run = createRun({ runId: 'r', workflow: wf, bundleVersion: bundle.version, userId: 'u1', data: {} });
    return advance(run, { type: 'start', now: 0 }, bundle, { user: makeUser() }).actions[0] as Extract<Action, { type: 'send' }>;
  };

  it('carries each candidate’s caps; a candidate without one has no caps field', () => {
    const routed = workflow('w', [send('s', 'sms', { routing: { method: 'single', channels: ['sms', 'email'], strategy: 'ordered' } })]);
    expect(start(routed, [smsCap]).candidates).toEqual([
      { channel: 'sms', providers: ['twilio'], caps: [{ ...smsCap, name: 'sms 3/1d' }] },
      { channel: 'email', providers: ['sendgrid', 'sendgrid-backup'] },
    ]);
  });

  it('carries none for a critical send', () => {
    const critical = workflow('w', [send('s', 'sms', { critical: true })], { category: 'security' });
    expect(start(critical, [smsCap]).candidates).toEqual([{ channel: 'sms', providers: ['twilio'] }]);
  });
});

describe('caps on the in-memory driver (virtual time)', () => {
  const smsOnly = workflow('texts', [send('text', 'sms')]);
  const smsThenEmail = workflow('nudge', [send('nudge', 'sms', { routing: { method: 'single', channels: ['sms', 'email'], strategy: 'ordered' } })]);
  const code = workflow('code', [send('code', 'sms', { critical: true })], { category: 'security' });
  const bundle = withLimits(makeBundle(smsOnly, smsThenEmail, code), [smsCap]);

  function world() {
    const delivered: { run: string; channel: string; status: string; reason?: string; detail?: unknown; at: number }[] = [];
    const driver = new MemoryDriver({
      bundle,
      now: 0,
      observe: {
        delivered: (run, messages, at) =>
          delivered.push(...messages.map((m) => ({ run: run.id, channel: m.channel, status: m.status, reason: m.reason, detail: m.detail, at }))),
      },
    });
    driver.setUser('u1', makeUser());
    let n = 0;
    const trigger = (wf: Workflow, at: number) => {
      driver.runUntil(at);
      return driver.start({ runId: `r${++n}`, workflow: wf, audience: 'u1', userId: 'u1', data: {}, meta: undefined, at });
    };
    return { driver, delivered, trigger };
  }

  it('counts one user’s sends across workflows; the 4th SMS of a day is skipped, naming the cap', () => {
    const { delivered, trigger } = world();
    trigger(smsOnly, 0);
    trigger(code, HOUR); // critical: never capped, but counted
    trigger(smsOnly, 2 * HOUR);
    const fourth = trigger(smsOnly, 3 * HOUR);
    expect(delivered.map((d) => d.status)).toEqual(['sent', 'sent', 'sent', 'skipped']);
    expect(delivered[3]).toMatchObject({ channel: 'sms', reason: 'frequency_cap', detail: { cap: 'sms 3/1d', count: 3 } });
    // The why-log: the run's history says which cap held the message back.
    expect(fourth.state.history.find((h) => h.outcome === 'skipped')?.detail).toEqual({
      messages: [{ messageId: 'r4:text:sms', channel: 'sms', status: 'skipped', reason: 'frequency_cap', detail: { cap: 'sms 3/1d', count: 3 } }],
    });
  });

  it('never caps a critical send', () => {
    const { delivered, trigger } = world();
    for (let i = 0; i < 3; i++) trigger(smsOnly, i * HOUR);
    trigger(code, 4 * HOUR);
    expect(delivered.at(-1)).toMatchObject({ run: 'r4', channel: 'sms', status: 'sent' });
  });

  it('a capped channel of single routing falls through to the next, as no_address does', () => {
    const { delivered, trigger } = world();
    for (let i = 0; i < 3; i++) trigger(smsOnly, i * HOUR);
    trigger(smsThenEmail, 4 * HOUR);
    expect(delivered.slice(3).map((d) => [d.channel, d.status, d.reason])).toEqual([
      ['sms', 'skipped', 'frequency_cap'],
      ['email', 'sent', undefined],
    ]);
  });

  it('slides: a day after the first SMS, one more may go', () => {
    const { delivered, trigger } = world();
    for (let i = 0; i < 3; i++) trigger(smsOnly, i * HOUR);
    trigger(smsOnly, DAY - 1);
    trigger(smsOnly, DAY + 1);
    expect(delivered.slice(3).map((d) => d.status)).toEqual(['skipped', 'sent']);
  });

  it('counts per user: another user is not held back', () => {
    const { driver, delivered, trigger } = world();
    for (let i = 0; i < 3; i++) trigger(smsOnly, i * HOUR);
    driver.setUser('u2', makeUser({ id: 'u2' }));
    driver.start({ runId: 'other', workflow: smsOnly, audience: 'u2', userId: 'u2', data: {}, meta: undefined, at: 4 * HOUR });
    expect(delivered.at(-1)).toMatchObject({ run: 'other', status: 'sent' });
  });
});
