/**
 * The fluent simulator (`herald/testing`): virtual time over the runtime's pure engine, on the compiled
 * example folder and on small hand-made bundles. No database, no network.
 */
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Bundle } from '../../compiler/bundle/schema.ts';
import { buildProject } from '../../compiler/build.ts';
import { expect as heraldExpect, formatOffset, scenario, ScenarioAssertionError, simulate, SimulationSetupError, type Simulation } from 'herald/testing';
import { runScenario } from '../../compiler/testing/run-scenario.ts';
import { takeRegisteredScenarios } from '../../compiler/testing/scenario.ts';
import { simulate as scriptSimulate } from '../../runtime/memory-driver/index.ts';
import { HOUR, MINUTE, makeBundle, makeUser, onboarding as onboardingFlow, send, workflow } from '../setup/engine-bundle.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
let bundle: Bundle;

beforeAll(async () => {
  const built = await buildProject('notifications', { cwd: root });
  if (!built.bundle) throw new Error(built.diagnostics.map((d) => d.message).join('; '));
  bundle = built.bundle;
}, 60_000);

const ada = { id: 'ada', email: 'ada@example.com', phone_number: '+15555550100' };
const trial = { first_name: 'Ada', plan_type: 'pro' };
const onboarding = (extra: { preferences?: Record<string, Record<string, boolean>>; now?: string } = {}) =>
  simulate(bundle, 'onboarding', { user: ada, data: trial, ...extra });
const short = (sim: Simulation) => sim.sent().map((m) => `${m.at} ${m.step}:${m.channel}`);

describe('simulate: the fluent API', () => {
  it('starts the run at once and moves time only when asked', () => {
    const sim = onboarding();
    expect(short(sim)).toEqual(['+0s welcome:email']);
    expect(sim.status()).toBe('waiting');
    expect(sim.advance('119m')).toBe(sim); // fluent: every action returns the simulation
    expect(short(sim)).toEqual(['+0s welcome:email']);
    sim.advance('1m');
    expect(short(sim)).toEqual(['+0s welcome:email', '+2h nudge-sms:sms']);
    expect(sim.status()).toBe('completed');
    expect(sim.elapsed()).toEqual({ ms: 2 * HOUR, at: '+2h' });
  });

  it('lists sent messages with channel, step, template, provider, time and rendered content', () => {
    const [welcome] = onboarding().sent();
    expect(welcome).toEqual({
      ms: 0,
      at: '+0s',
      run: 'run-1',
      step: 'welcome',
      channel: 'email',
      template: 'onboarding-welcome',
      status: 'sent',
      provider: 'sendgrid',
      content: expect.objectContaining({ subject: 'Welcome aboard, Ada' }),
    });
  });

  it('resumes a wait on an engagement, at the moment it happens', () => {
    const sim = onboarding().advance('30m').engage('welcome', 'opened');
    expect(short(sim)).toEqual(['+0s welcome:email', '+30m next-steps:email']);
    expect(sim.inputs()).toEqual([{ ms: 30 * MINUTE, at: '+30m', kind: 'engage', run: 'run-1', step: 'welcome', engagement: 'opened' }]);
  });

  it('reports in-app engagement like the inbox: seen, read (which resumes a wait for a read), click', () => {
    const sim = onboarding().advance('116m').heartbeat().advance('4m').advance('1h').seen('nudge-inapp');
    expect(sim.state().waiting).toMatchObject({ stepId: 'nudge-read' });
    sim.advance('1h').read('nudge-inapp');
    expect(sim.status()).toBe('completed');
    expect(sim.state().engagements).toEqual({ 'nudge-inapp': ['seen', 'read'] });
    sim.click('nudge-inapp');
    expect(sim.inputs().filter((i) => i.kind === 'engage')).toEqual([
      { ms: 3 * HOUR, at: '+3h', kind: 'engage', run: 'run-1', step: 'nudge-inapp', engagement: 'seen', channel: 'inapp' },
      { ms: 4 * HOUR, at: '+4h', kind: 'engage', run: 'run-1', step: 'nudge-inapp', engagement: 'read', channel: 'inapp' },
      { ms: 4 * HOUR, at: '+4h', kind: 'engage', run: 'run-1', step: 'nudge-inapp', engagement: 'clicked', channel: 'inapp' },
    ]);
    expect(String(sim)).toContain('▶ engage nudge-inapp read (inapp)');
  });

  it('a click on the in-app message resolves a wait for its read; left unread, the email follows', () => {
    expect(short(onboarding().advance('116m').heartbeat().advance('5m').click('nudge-inapp').advance('2d'))).toEqual([
      '+0s welcome:email',
      '+2h nudge-inapp:inapp',
    ]);
    expect(short(onboarding().advance('116m').heartbeat().advance('4m').advance('2d'))).toEqual([
      '+0s welcome:email',
      '+2h nudge-inapp:inapp',
      '+1d 2h nudge-email:email',
    ]);
  });

  it('says what read sync marks read when the in-app message of a readSync send is read, the first time only', () => {
    const sim = simulate(bundle, 'welcome-everywhere', {
      user: { id: 'alan', email: 'alan@example.com', push_tokens: ['t'] },
      data: { first_name: 'Al', signup_source: 'web' },
    });
    sim.read('welcome-all').read('welcome-all');
    const engaged = sim
      .timeline()
      .filter((e) => e.type === 'input')
      .map((e) => e.text);
    expect(engaged).toEqual(['▶ engage welcome-all read (inapp); read sync: email, push marked read', '▶ engage welcome-all read (inapp)']);
  });

  it('reads activity at the branch: a recent heartbeat means in-app, an old one does not', () => {
    expect(short(onboarding().advance('116m').heartbeat().advance('4m'))).toContain('+2h nudge-inapp:inapp');
    expect(short(onboarding().advance('1h').heartbeat().advance('1h'))).toContain('+2h nudge-sms:sms');
  });

  it('tells the story in its timeline: sends, waits, the branch decision and why, skips, inputs', () => {
    const sim = onboarding({ preferences: { onboarding: { sms: false } } })
      .advance('1h')
      .heartbeat()
      .advance('1h');
    const entries = sim.timeline();
    expect(entries.map((e) => `${e.at} ${e.type}`)).toEqual([
      '+0s run',
      '+0s send',
      '+0s wait',
      '+1h input',
      '+2h resume',
      '+2h branch',
      '+2h send',
      '+2h run',
    ]);
    expect(entries).toContainEqual(expect.objectContaining({ type: 'wait', step: 'welcome-opened', kind: 'waitFor', until: '+2h' }));
    expect(entries).toContainEqual(
      expect.objectContaining({
        type: 'branch',
        step: 'follow-up',
        arm: 'otherwise',
        why: 'engaged(welcome, opened) = false; activeWithin(5m) [last active +1h] = false',
      }),
    );
    expect(entries).toContainEqual(expect.objectContaining({ type: 'send', step: 'nudge-sms', channel: 'sms', status: 'skipped', reason: 'preference' }));
    expect(String(sim)).toContain('+2h   nudge-sms: sms skipped (onboarding-welcome): preference (opted-out)');
    expect(sim.sent()).toHaveLength(1);
  });

  it('is deterministic: the same inputs give the same timeline', () => {
    const run = () => onboarding().advance('45m').engage('welcome', 'clicked').advance('3h').timeline();
    expect(run()).toEqual(run());
  });

  it('advancing in small steps or one big one fires the same timers at the same times', () => {
    const data = { cart_id: 'c1', item_count: 1, cart_url: 'https://shop.example.com/c1' };
    const big = simulate(bundle, 'cart-recovery', { user: ada, data }).advance('2d');
    const small = simulate(bundle, 'cart-recovery', { user: ada, data });
    for (let i = 0; i < 96; i++) small.advance('30m');
    expect(small.timeline()).toEqual(big.timeline());
  });
});

describe('simulate: the world around the run', () => {
  const cart = { cart_id: 'c1', item_count: 2, cart_url: 'https://shop.example.com/c1' };
  const order = { order_id: 'o1', cart_id: 'c1', total: 5, currency: 'EUR', items: [] };

  it('cancels on a cancelOn event and sends nothing after it', () => {
    const sim = simulate(bundle, 'cart-recovery', { user: ada, data: cart }).advance('30m').event('checkout_completed', order).advance('3d');
    expect(sim.status()).toBe('cancelled');
    expect(sim.sent()).toEqual([]);
    expect(sim.timeline().at(-1)).toMatchObject({ type: 'run', outcome: 'cancelled', reason: 'event "checkout_completed"', at: '+30m' });
  });

  it('holds a send outside its window until the window opens, in the user’s time zone', () => {
    // 22:00 in Paris: the cart window is 09:00–21:00 there, so the +1h reminder waits for 09:00 (+10h).
    const sim = simulate(bundle, 'cart-recovery', { user: { ...ada, timezone: 'Europe/Paris' }, data: cart, now: '2025-01-06T21:00:00Z' }).advance('1d');
    expect(sim.timeline()).toContainEqual(expect.objectContaining({ type: 'wait', kind: 'window', step: 'reminder-email', until: '+11h' }));
    expect(sim.sent()[0]).toMatchObject({ step: 'reminder-email', at: '+11h' });
  });

  it('starts another run on the workflow’s own trigger: a throttle counts across runs', () => {
    const sim = simulate(bundle, 'cart-recovery', { user: ada, data: cart })
      .advance('10m')
      .event('cart_abandoned', { ...cart, cart_id: 'c2' })
      .advance('2d');
    expect(sim.runs()).toEqual(['run-1', 'run-2']);
    expect(sim.state('run-2')).toMatchObject({ status: 'completed' });
    // As the runtime does, the sends a throttle held back are logged as skipped, with the reason.
    expect(sim.messages().filter((m) => m.run === 'run-2')).toEqual([
      expect.objectContaining({ step: 'reminder-email', channel: 'email', status: 'skipped', reason: 'throttled', at: '+10m' }),
      expect.objectContaining({ step: 'last-call', channel: 'push', status: 'skipped', reason: 'throttled' }),
    ]);
    expect(sim.sent().map((m) => m.run)).toEqual(['run-1', 'run-1']);
  });

  it('fails over when a provider fails, and falls back to the next channel when a channel fails', () => {
    const welcome = simulate(bundle, 'welcome-everywhere', { user: ada, data: { first_name: 'Ada', signup_source: 'web' }, fail: ['sendgrid'] });
    expect(welcome.sent()[0]).toMatchObject({ channel: 'email', provider: 'sandbox-email' });
    const code = simulate(bundle, 'security-code', { user: ada, data: { code: '123456', expires_in_minutes: 5 }, fail: ['sms'] });
    expect(code.messages().map((m) => `${m.channel}:${m.status}:${m.reason ?? ''}`)).toEqual(['sms:failed:all_providers_failed', 'email:sent:']);
  });

  it('applies profile changes made mid-run and updateProfile steps to later decisions', () => {
    const sim = simulate(bundle, 'security-code', { user: { id: 'x', email: 'x@example.com' }, data: { code: '1', expires_in_minutes: 5 } });
    expect(sim.sent()[0]?.channel).toBe('email');
    const flow = workflow('upgrade', [
      { id: 'mark', kind: 'updateProfile', set: { 'traits.plan': { value: 'team' } } },
      {
        id: 'pick',
        kind: 'branch',
        arms: [{ when: { op: 'compare', left: { ref: 'user.traits.plan' }, cmp: 'eq', right: 'team' }, steps: [send('team-mail')] }],
        otherwise: [send('other-mail')],
      },
      { id: 'later', kind: 'delay', durationMs: HOUR },
      { id: 'by-sms', kind: 'send', template: 'welcome', routing: { method: 'single', channels: ['sms'], strategy: 'ordered' }, critical: false },
    ]);
    const small = makeBundle(flow);
    const run = simulate(small, 'upgrade', { user: { email: 'u@example.com' }, data: {} })
      .profile({ phone_number: '+15555550199' })
      .advance('1h');
    expect(run.sent().map((m) => m.step)).toEqual(['team-mail', 'by-sms']);
    expect(run.timeline()).toContainEqual(expect.objectContaining({ type: 'profile', step: 'mark', set: { 'traits.plan': 'team' } }));
  });

  it('runs a digest across runs: the first run owns it and sends one message with every item, at its schedule', () => {
    const c = (n: number) => ({ comment_id: `c${n}`, author_name: `Reader ${n}`, post_title: 'P', excerpt: 'e', post_url: 'https://p.example.com' });
    const sim = simulate(bundle, 'comment-digest', { user: ada, data: c(1) })
      .advance('1h')
      .event('comment_added', c(2))
      .advance('1d');
    // Weekdays at 09:00 in the user's zone (UTC here): Monday 12:00 → Tuesday 09:00.
    expect(sim.sent()).toMatchObject([{ run: 'run-1', step: 'digest-email', at: '+21h', content: { subject: '2 new comments on your posts' } }]);
    expect(sim.state('run-2').history.at(-1)).toMatchObject({ outcome: 'completed', detail: { reason: 'digested' } });
  });
});

describe('simulate: refusing what the runtime would refuse', () => {
  it('checks the workflow, the data, the user and the preferences', () => {
    expect(() => simulate(bundle, 'onboardng', { data: trial })).toThrow(/no workflow "onboardng".*onboarding/);
    expect(() => simulate(bundle, 'onboarding', { data: { first_name: 'Ada', plan_type: 'gold' } })).toThrow(SimulationSetupError);
    expect(() => simulate(bundle, 'onboarding', { data: trial, user: { phone: '+1555' } as never })).toThrow(/phone/);
    expect(() => simulate(bundle, 'onboarding', { data: trial, preferences: { onbording: { sms: false } } })).toThrow(/unknown category "onbording"/);
    expect(() => simulate(bundle, 'security-code', { data: { code: '1', expires_in_minutes: 5 }, preferences: { security: { sms: false } } })).toThrow(
      /required/,
    );
    expect(() => onboarding().event('checkout_completed', { order_id: 1 })).toThrow(/checkout_completed/);
  });

  it('refuses to engage a message that was not sent, naming what was', () => {
    expect(() => onboarding().engage('next-steps', 'opened')).toThrow('no message of step "next-steps" was sent yet (sent so far: welcome)');
    // The inbox's own reports need an in-app message of the step.
    expect(() => onboarding().read('welcome')).toThrow('read("welcome") at +0s: no inapp message of step "welcome" was sent yet (sent so far: nothing)');
    expect(() => onboarding().advance('-1h' as never)).toThrow();
    expect(() => onboarding().advance(-5)).toThrow(/forward/);
  });
});

describe('simulate: the same engine as the script simulator', () => {
  it('agrees with runtime/memory-driver/simulate.ts on every onboarding path', () => {
    const small = makeBundle(onboardingFlow);
    const user = makeUser();
    const paths: { name: string; drive: (s: Simulation) => void; script: Parameters<typeof scriptSimulate>[0]['script'] }[] = [
      { name: 'unopened', drive: (s) => s.advance('3h'), script: [] },
      {
        name: 'opened',
        drive: (s) => s.advance('30m').engage('welcome', 'opened').advance('3h'),
        script: [{ at: 30 * MINUTE, fact: { type: 'engagement', stepId: 'welcome', kind: 'opened' } }],
      },
      { name: 'active', drive: (s) => s.advance('118m').heartbeat().advance('1h'), script: [{ at: 118 * MINUTE, active: true }] },
    ];
    for (const path of paths) {
      const fluent = simulate(small, 'onboarding', {
        user: { id: 'u1', email: user.email, phone_number: user.phone_number, push_tokens: user.push_tokens, timezone: 'UTC', traits: user.traits },
        data: {},
        now: 0,
      });
      path.drive(fluent);
      const scripted = scriptSimulate({ bundle: small, workflowId: 'onboarding', user, script: path.script, runId: 'run-1' });
      const fromScript = scripted.messages.filter((m) => m.status === 'sent').map((m) => `${formatOffset(m.at)} ${m.stepId}:${m.channel}`);
      expect(short(fluent), path.name).toEqual(fromScript);
      expect(fluent.state().history, path.name).toEqual(scripted.state.history);
    }
  });
});

describe('expect and scenario', () => {
  it('passes silently and fails with the expected value and the actual one cut to its shape', () => {
    const sim = onboarding().advance('2h');
    heraldExpect(sim.sent()).toMatchObject([{ step: 'welcome' }, { step: 'nudge-sms', channel: 'sms' }]);
    heraldExpect(sim.sent()).not.toHaveLength(3);
    heraldExpect(sim.timeline()).toContain({ type: 'branch', arm: 'otherwise' });
    heraldExpect(sim.status()).toBe('completed');
    let caught: unknown;
    try {
      heraldExpect(sim.sent()).toMatchObject([{ step: 'welcome' }, { step: 'nudge-inapp' }]);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ScenarioAssertionError);
    expect(caught).toMatchObject({
      matcher: 'toMatchObject',
      message: expect.stringContaining('at [1].step: expected "nudge-inapp", received "nudge-sms"'),
      expected: [{ step: 'welcome' }, { step: 'nudge-inapp' }],
      actual: [{ step: 'welcome' }, { step: 'nudge-sms' }],
    });
    expect(() => heraldExpect(sim.sent()).toHaveLength(1)).toThrow('expected length 1, received 2');
    expect(() => heraldExpect([1, 2]).not.toContain(2)).toThrow(/not\.toContain/);
  });

  it('registers scenarios and reports a failure with its line, the values and the timeline', async () => {
    takeRegisteredScenarios();
    scenario('idle user gets in-app (wrong on purpose)', { workflow: 'onboarding', user: ada, data: trial }, (sim) => {
      sim.advance('2h');
      heraldExpect(sim.sent()).toMatchObject([{ step: 'welcome' }, { step: 'nudge-inapp' }]);
    });
    scenario('data defaults to the event’s first example', { workflow: 'onboarding', user: ada }, (sim) => {
      heraldExpect(sim.sent()[0]?.content).toMatchObject({ subject: 'Welcome aboard, Ada' });
    });
    const [wrong, defaulted] = takeRegisteredScenarios();
    const file = fileURLToPath(import.meta.url);
    const failed = (await runScenario(bundle, wrong!, file, 'simulate.test.ts')).result;
    expect(failed).toMatchObject({
      name: 'idle user gets in-app (wrong on purpose)',
      ok: false,
      workflow: 'onboarding',
      failure: { matcher: 'toMatchObject' },
    });
    expect(failed.failure?.expected).toContain('"step":"nudge-inapp"');
    expect(failed.failure?.actual).toContain('"step":"nudge-sms"');
    expect(failed.failure?.source).toContain("toMatchObject([{ step: 'welcome' }, { step: 'nudge-inapp' }])");
    expect(failed.timeline).toContain('+2h   nudge-sms: sms sent (onboarding-welcome via twilio)');
    expect((await runScenario(bundle, defaulted!, file)).result).toMatchObject({
      ok: true,
      timeline: expect.arrayContaining([expect.stringContaining('run started')]),
    });
  });
});
