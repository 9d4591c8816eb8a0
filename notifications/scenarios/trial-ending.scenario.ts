/**
 * Trial ending: the reminder waits until three days before `trial_ends_at`, a moment the event carries. The
 * simulation starts on Monday 2025-01-06 at 12:00 UTC.
 */
import { expect, scenario } from 'herald/testing';

const ada = { id: 'ada', email: 'ada@example.com' };

// No `data`: the first example of subscription_created, Ada's pro trial ending on 2025-01-20 at 12:00 UTC.
scenario('trial ending: a 14-day trial → the reminder three days before it ends', { workflow: 'trial-ending', user: ada }, (sim) => {
  expect(sim.timeline()).toContain({ type: 'wait', step: 'before-trial-end', kind: 'delay', until: '+11d' });
  sim.advance('263h');
  expect(sim.sent()).toEqual([]);
  sim.advance('1h');
  expect(sim.sent()).toMatchObject([{ step: 'trial-ending-email', channel: 'email', at: '+11d', content: { subject: 'Your pro trial ends on Jan 20, 2025' } }]);
  expect(sim.status()).toBe('completed');
});

scenario(
  'trial ending: a 2-day trial has no "three days before" → no reminder, the run ends',
  { workflow: 'trial-ending', user: ada, data: { first_name: 'Grace', plan_type: 'team', trial_ends_at: '2025-01-08T12:00:00Z' } },
  (sim) => {
    sim.advance('3d');
    expect(sim.sent()).toEqual([]);
    expect(sim.status()).toBe('completed');
    expect(sim.timeline()).toContain({ type: 'run', outcome: 'completed', reason: 'until_past' });
  },
);
