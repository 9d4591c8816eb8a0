/** The account welcome goes to every channel the user can receive, at once. */
import { expect, scenario } from 'herald/testing';

scenario(
  'welcome everywhere: email, push and in-app together',
  { workflow: 'welcome-everywhere', user: { id: 'alan', email: 'alan@example.com', push_tokens: ['fcm-token-2'] } },
  (sim) => {
    expect(sim.sent()).toMatchObject([
      { step: 'welcome-all', channel: 'email', at: '+0s' },
      { step: 'welcome-all', channel: 'push', at: '+0s' },
      { step: 'welcome-all', channel: 'inapp', at: '+0s' },
    ]);
  },
);
