/**
 * Onboarding, one scenario per path through the follow-up branch. Run them with `npx herald test`: virtual
 * time on the runtime's own engine, so `advance('2h')` takes microseconds.
 */
import { expect, scenario } from 'herald/testing';

const ada = { id: 'ada', email: 'ada@example.com', phone_number: '+15555550100' };
const trial = { first_name: 'Ada', plan_type: 'pro' };

scenario('onboarding: unopened welcome → SMS at +2h', { workflow: 'onboarding', user: ada, data: trial }, (sim) => {
  expect(sim.sent()).toMatchObject([{ step: 'welcome', channel: 'email', at: '+0s' }]);
  sim.advance('119m');
  expect(sim.sent()).toHaveLength(1);
  sim.advance('1m');
  expect(sim.sent()).toMatchObject([
    { step: 'welcome', channel: 'email', template: 'onboarding-welcome', at: '+0s' },
    {
      step: 'nudge-sms',
      channel: 'sms',
      template: 'onboarding-welcome',
      at: '+2h',
      content: { body: 'Hi Ada, your pro trial is ready: https://app.example.com/getting-started' },
    },
  ]);
  expect(sim.timeline()).toContain({ type: 'branch', step: 'follow-up', arm: 'otherwise' });
  expect(sim.status()).toBe('completed');
});

scenario('onboarding: welcome opened → next-steps email at once', { workflow: 'onboarding', user: ada, data: trial }, (sim) => {
  sim.advance('30m').engage('welcome', 'opened');
  expect(sim.sent()).toMatchObject([
    { step: 'welcome', channel: 'email', at: '+0s' },
    { step: 'next-steps', channel: 'email', template: 'onboarding-next-steps', at: '+30m' },
  ]);
  // Nothing else follows: no SMS when the timeout would have passed.
  sim.advance('2h');
  expect(sim.sent()).toHaveLength(2);
  expect(sim.status()).toBe('completed');
});

scenario('onboarding: active in the app → in-app nudge instead of SMS', { workflow: 'onboarding', user: ada, data: trial }, (sim) => {
  // `activeWithin('5m')` is read when the branch runs at +2h, so the activity has to be recent by then.
  sim.advance('117m').heartbeat().advance('3m');
  expect(sim.sent()).toMatchObject([
    { step: 'welcome', channel: 'email' },
    { step: 'nudge-inapp', channel: 'inapp', at: '+2h' },
  ]);
});

scenario(
  'onboarding: opted out of SMS → the nudge is skipped',
  { workflow: 'onboarding', user: ada, data: trial, preferences: { onboarding: { sms: false } } },
  (sim) => {
    sim.advance('2h');
    expect(sim.sent()).toMatchObject([{ step: 'welcome', channel: 'email' }]);
    expect(sim.messages()).toContain({ step: 'nudge-sms', channel: 'sms', status: 'skipped', reason: 'preference', at: '+2h' });
    expect(sim.status()).toBe('completed');
  },
);

scenario('onboarding: in-app nudge read in the inbox → no email', { workflow: 'onboarding', user: ada, data: trial }, (sim) => {
  sim.advance('117m').heartbeat().advance('3m');
  expect(sim.sent()).toMatchObject([{ step: 'welcome' }, { step: 'nudge-inapp', channel: 'inapp', at: '+2h' }]);
  expect(sim.status()).toBe('waiting');
  // The inbox is opened (seen), then the item itself (read): the wait for the read ends there.
  sim.advance('3h').seen('nudge-inapp');
  expect(sim.status()).toBe('waiting');
  sim.advance('1h').read('nudge-inapp');
  expect(sim.timeline()).toContain({ type: 'resume', step: 'nudge-read', outcome: 'matched', by: 'read', at: '+6h' });
  expect(sim.status()).toBe('completed');
  sim.advance('1d');
  expect(sim.sent()).toHaveLength(2);
});

scenario('onboarding: in-app nudge left unread for a day → next steps by email', { workflow: 'onboarding', user: ada, data: trial }, (sim) => {
  sim.advance('117m').heartbeat().advance('3m');
  // Opening the inbox is not reading the item: only `read` (or a click) counts.
  sim.advance('1h').seen('nudge-inapp');
  sim.advance('1d');
  expect(sim.sent()).toMatchObject([
    { step: 'welcome', channel: 'email', at: '+0s' },
    { step: 'nudge-inapp', channel: 'inapp', at: '+2h' },
    { step: 'nudge-email', channel: 'email', template: 'onboarding-next-steps', at: '+1d 2h' },
  ]);
  expect(sim.status()).toBe('completed');
});
