/**
 * The SMS cap of settings.ts (3 a day per user, across every workflow): a user who starts four trials in a
 * morning gets the first three SMS nudges; the fourth is skipped `frequency_cap`, naming the cap, and the
 * welcome emails are untouched (the cap is on SMS only).
 */
import { expect, scenario } from 'herald/testing';

const ada = { id: 'ada', email: 'ada@example.com', phone_number: '+15555550100' };
const trial = { first_name: 'Ada', plan_type: 'pro' };

scenario('sms cap: the 4th SMS of a day is skipped frequency_cap', { workflow: 'onboarding', user: ada, data: trial }, (sim) => {
  // Three more trials 20 minutes apart: four runs, each nudging by SMS two hours after its welcome email.
  sim.advance('20m').event('trial_started', trial).advance('20m').event('trial_started', trial).advance('20m').event('trial_started', trial);
  sim.advance('2h');
  const nudges = sim.messages().filter((m) => m.step === 'nudge-sms');
  expect(nudges).toMatchObject([
    { run: 'run-1', status: 'sent', at: '+2h' },
    { run: 'run-2', status: 'sent', at: '+2h 20m' },
    { run: 'run-3', status: 'sent', at: '+2h 40m' },
    { run: 'run-4', status: 'skipped', reason: 'frequency_cap', detail: { cap: 'sms 3/1d', count: 3 }, at: '+3h' },
  ]);
  expect(sim.sent().filter((m) => m.step === 'welcome')).toHaveLength(4);
});
