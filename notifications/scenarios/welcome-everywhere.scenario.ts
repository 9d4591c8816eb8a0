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

scenario(
  'welcome everywhere: read in the inbox → the email and push are marked read (read sync)',
  { workflow: 'welcome-everywhere', user: { id: 'alan', email: 'alan@example.com', push_tokens: ['fcm-token-2'] } },
  (sim) => {
    expect(sim.status()).toBe('completed');
    // Read sync is the message log's, not the run's: it applies after the run has ended too.
    sim.advance('5m').read('welcome-all');
    expect(sim.timeline()).toContain({ type: 'input', input: 'engage', detail: 'welcome-all read (inapp); read sync: email, push marked read' });
  },
);
