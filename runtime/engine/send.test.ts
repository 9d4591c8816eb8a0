import { describe, expect, it } from 'vitest';
import type { Step, Workflow } from '../../compiler/bundle/schema.ts';
import { advance, createRun, resolvePreference } from './index.ts';
import { simulate } from '../memory-driver/index.ts';
import { HOUR, makeBundle, makeUser, send, workflow } from '../../test/setup/engine-bundle.ts';
import type { Action, UserSnapshot } from './types.ts';

type SendAction = Extract<Action, { type: 'send' }>;

/** Starts a one-step workflow and returns the first action (the send, or the deferral's schedule). */
function start(step: Step, user: UserSnapshot, extra: Partial<Workflow> = {}, now = 0) {
  const wf = workflow('w', [step], extra);
  const bundle = makeBundle(wf);
  const run = createRun({ runId: 'r', workflow: wf, bundleVersion: bundle.version, userId: user.id, data: {} });
  return advance(run, { type: 'start', now }, bundle, { user });
}
const sendOf = (r: ReturnType<typeof start>) => r.actions[0] as SendAction;
const channels = (r: ReturnType<typeof start>) => sendOf(r).candidates.map((c) => c.channel);

describe('resolvePreference', () => {
  const bundle = makeBundle(workflow('w', [send('s')]));
  it('lets required categories through whatever the user said', () => {
    expect(resolvePreference(bundle, 'security', 'email', { preferences: { security: { email: false } } })).toEqual({ allowed: true, rule: 'required' });
  });
  it('prefers an explicit choice, then the category defaults', () => {
    const user = { preferences: { 'product-updates': { email: false, push: true } } };
    expect(resolvePreference(bundle, 'product-updates', 'email', user)).toEqual({ allowed: false, rule: 'opted-out' });
    expect(resolvePreference(bundle, 'product-updates', 'push', user)).toEqual({ allowed: true, rule: 'opted-in' });
    expect(resolvePreference(bundle, 'product-updates', 'sms', user)).toEqual({ allowed: true, rule: 'category-default' });
    expect(resolvePreference(bundle, 'product-updates', 'push', { preferences: {} })).toEqual({ allowed: false, rule: 'not-a-default-channel' });
    expect(resolvePreference(bundle, null, 'push', { preferences: {} })).toEqual({ allowed: true, rule: 'no-category' });
  });
});

describe('send planning', () => {
  const optedOut = makeUser({ preferences: { 'product-updates': { email: false }, security: { email: false } } });

  it('skips a channel the user opted out of in an optional category, naming the rule', () => {
    const r = start(send('s', 'email'), optedOut);
    expect(sendOf(r)).toMatchObject({
      candidates: [],
      skipped: [{ channel: 'email', reason: 'preference', detail: { rule: 'opted-out', category: 'product-updates' } }],
    });
    expect(r.state.waiting).toMatchObject({ kind: 'send', reply: 'sendResult' });
  });

  it('sends in a required category even when the user opted out', () => {
    const r = start(send('s', 'email'), optedOut, { category: 'security' });
    expect(channels(r)).toEqual(['email']);
    expect(sendOf(r).skipped).toEqual([]);
  });

  it('moves past a channel with no address (single routing)', () => {
    const step = send('s', 'email', { routing: { method: 'single', channels: ['push', 'email', 'inapp'], strategy: 'ordered' } });
    const r = start(step, makeUser({ push_tokens: [], preferences: { 'product-updates': { push: true } } }));
    expect(sendOf(r)).toMatchObject({ method: 'single', skipped: [{ channel: 'push', reason: 'no_address', detail: { needs: 'push_tokens' } }] });
    expect(channels(r)).toEqual(['email', 'inapp']);
    const sim = simulate({ bundle: makeBundle(workflow('w', [step])), workflowId: 'w', user: makeUser({ push_tokens: [] }) });
    expect(sim.messages.map((m) => `${m.channel}:${m.status}`)).toEqual(['push:skipped', 'email:sent']);
  });

  it('fails over between providers and then channels in the simulator', () => {
    const step = send('s', 'email', { routing: { method: 'single', channels: ['email', 'sms'], strategy: 'ordered' } });
    const sim = simulate({
      bundle: makeBundle(workflow('w', [step])),
      workflowId: 'w',
      user: makeUser(),
      deliver: ({ channel }) => (channel === 'email' ? 'failed' : 'sent'),
    });
    expect(sim.messages.map((m) => `${m.channel}/${m.provider}:${m.status}`)).toEqual([
      'email/sendgrid:failed',
      'email/sendgrid-backup:failed',
      'sms/twilio:sent',
    ]);
    expect(sim.state.history.find((h) => h.stepId === 's' && h.kind === 'send' && h.outcome === 'sent')).toBeDefined();
  });

  it('routes to every allowed channel with method all', () => {
    const step = send('s', 'email', { routing: { method: 'all', channels: ['email', 'sms', 'push', 'inapp'], strategy: 'ordered' } });
    const r = start(step, makeUser());
    expect(channels(r)).toEqual(['email', 'sms', 'inapp']);
    expect(sendOf(r).skipped).toEqual([{ channel: 'push', reason: 'preference', detail: { rule: 'not-a-default-channel', category: 'product-updates' } }]);
    const sim = simulate({ bundle: makeBundle(workflow('w', [step])), workflowId: 'w', user: makeUser() });
    expect(sim.messages.filter((m) => m.status === 'sent').map((m) => m.channel)).toEqual(['email', 'sms', 'inapp']);
  });

  it('tries the channels the user opted in to first with the user-preference strategy', () => {
    const step = send('s', 'email', { routing: { method: 'single', channels: ['email', 'sms', 'push'], strategy: 'user-preference' } });
    const r = start(step, makeUser({ preferences: { 'product-updates': { push: true } } }));
    expect(channels(r)).toEqual(['push', 'email', 'sms']);
  });

  it('never texts an opted-out number, even for a critical send', () => {
    const r = start(send('s', 'sms', { critical: true }), makeUser({ smsOptOut: true }), { category: 'security' });
    expect(sendOf(r)).toMatchObject({ candidates: [], critical: true, skipped: [{ channel: 'sms', reason: 'sms_opt_out' }] });
  });

  it('uses the step providers that serve the channel, else the channel defaults', () => {
    const step = send('s', 'email', { providers: ['sendgrid-backup'], routing: { method: 'all', channels: ['email', 'sms'], strategy: 'ordered' } });
    expect(sendOf(start(step, makeUser())).candidates).toEqual([
      { channel: 'email', providers: ['sendgrid-backup'] },
      { channel: 'sms', providers: ['twilio'] },
    ]);
  });

  it('needs a user id for in-app', () => {
    const r = start(send('s', 'inapp'), makeUser({ id: null }));
    expect(sendOf(r).skipped).toMatchObject([{ channel: 'inapp', reason: 'no_address' }]);
  });
});

describe('send windows', () => {
  const window = { days: [1, 2, 3, 4, 5], startMinute: 9 * 60, endMinute: 20 * 60, timezone: 'user' };
  const saturdayNoonParis = Date.parse('2026-11-28T11:00:00Z');
  const mondayNineParis = Date.parse('2026-11-30T08:00:00Z');
  const paris = makeUser({ timezone: 'Europe/Paris' });

  it('defers a send outside its window to the next opening, then re-plans it', () => {
    const wf = workflow('w', [send('s', 'email', { window })]);
    const bundle = makeBundle(wf);
    const first = advance(
      createRun({ runId: 'r', workflow: wf, bundleVersion: bundle.version, userId: 'u1', data: {} }),
      { type: 'start', now: saturdayNoonParis },
      bundle,
      { user: paris },
    );
    expect(first.actions).toEqual([{ type: 'schedule', at: mondayNineParis, token: expect.any(String), stepId: 's' }]);
    expect(first.state.waiting).toMatchObject({ kind: 'window', until: mondayNineParis });
    expect(first.state.history.at(-1)).toMatchObject({ stepId: 's', outcome: 'deferred', detail: { until: mondayNineParis, timezone: 'Europe/Paris' } });
    // Meanwhile the user opted out of email: the re-plan at the opening sees it.
    const token = first.state.waiting?.token ?? '';
    const optedOut = { ...paris, preferences: { 'product-updates': { email: false } } };
    const second = advance(first.state, { type: 'timer', now: mondayNineParis, token }, bundle, { user: optedOut });
    expect(second.actions).toMatchObject([{ type: 'send', candidates: [], skipped: [{ channel: 'email', reason: 'preference' }] }]);
  });

  it('uses the workflow window, UTC for a user with no zone, and the simulator delivers at the opening', () => {
    const wf = workflow('w', [send('s', 'email')], { window });
    const sim = simulate({ bundle: makeBundle(wf), workflowId: 'w', user: makeUser({ timezone: null }), startAt: saturdayNoonParis });
    expect(sim.messages).toMatchObject([{ at: Date.parse('2026-11-30T09:00:00Z') - saturdayNoonParis, status: 'sent' }]);
  });

  it('lets a critical send through a closed window', () => {
    const r = start(send('s', 'email', { window, critical: true }), paris, { category: 'security' }, saturdayNoonParis);
    expect(sendOf(r)).toMatchObject({ type: 'send', critical: true });
  });

  it('does not hold back a send that has no channel left', () => {
    const r = start(send('s', 'sms', { window }), makeUser({ smsOptOut: true, timezone: 'Europe/Paris' }), {}, saturdayNoonParis);
    expect(sendOf(r)).toMatchObject({ type: 'send', candidates: [] });
  });

  it('sends at once when the window is open', () => {
    const r = start(send('s', 'email', { window }), paris, {}, mondayNineParis + HOUR);
    expect(sendOf(r).type).toBe('send');
  });
});
