/**
 * Signup, as it really arrives: the app calls Segment's `identify` (with the email) and then `track('Trial
 * Started')`, two requests in flight at once, and the track often lands first. The onboarding run then starts
 * for a user Herald has no email for yet. Rather than skip the welcome for good, the send waits a short grace
 * (`settings({ addressGrace })`, 10 s by default) for the profile to get an address, and goes out the moment
 * the identify lands. `sim.profile(...)` is that identify.
 */
import { expect, scenario } from 'herald/testing';

const trial = { first_name: 'Ada', plan_type: 'pro' };

scenario('signup: the track overtakes the identify → the welcome waits for the email', { workflow: 'onboarding', user: { id: 'ada' }, data: trial }, (sim) => {
  expect(sim.sent()).toEqual([]);
  expect(sim.timeline()).toContain({ type: 'wait', step: 'welcome', kind: 'address', until: '+10s' });
  // The identify lands two seconds later: the welcome goes out then, not at the end of the grace.
  sim.advance('2s').profile({ email: 'ada@example.com' });
  expect(sim.sent()).toMatchObject([{ step: 'welcome', channel: 'email', at: '+2s' }]);
  expect(sim.state().history).toContain({ stepId: 'welcome', outcome: 'dispatched', detail: { waited: 2000 } });
  sim.advance('18s').engage('welcome', 'opened');
  expect(sim.sent()).toMatchObject([{ step: 'welcome' }, { step: 'next-steps', channel: 'email', at: '+20s' }]);
  expect(sim.status()).toBe('completed');
});

scenario(
  'signup: no identify within the grace → the welcome is skipped, saying it waited',
  { workflow: 'onboarding', user: { id: 'bo', phone_number: '+15555550100' }, data: trial },
  (sim) => {
    sim.advance('10s');
    expect(sim.messages()).toMatchObject([
      { step: 'welcome', channel: 'email', status: 'skipped', reason: 'no_address', at: '+10s', detail: { needs: 'email', waited: 10000 } },
    ]);
    // The follow-up still reaches them where they can be reached.
    sim.advance('2h');
    expect(sim.sent()).toMatchObject([{ step: 'nudge-sms', channel: 'sms' }]);
    expect(sim.status()).toBe('completed');
  },
);
