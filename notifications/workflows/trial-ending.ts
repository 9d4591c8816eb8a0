/**
 * Trial ending: three days before a trial turns paid, tell the user when, and how to change plans. The moment
 * comes from the event (`trial_ends_at`, a date-time in its schema), so every subscription waits for its own.
 */
import { workflow } from 'herald';
import { onboarding } from '../categories.ts';
import { subscriptionCreated } from '../events.ts';
import { trialEnding } from '../templates/trial.ts';

export default workflow('trial-ending', {
  description: 'Remind a trial user three days before the trial ends and the first payment is taken.',
  trigger: subscriptionCreated,
  category: onboarding,
  steps: (s) => [
    // A trial shorter than three days has no "three days before": `ifPast: 'skip'` ends the run instead of
    // sending a late reminder at once.
    s.delay('before-trial-end', { until: s.data('trial_ends_at'), offset: '-3d', ifPast: 'skip' }),
    s.send('trial-ending-email', { template: trialEnding, channel: 'email' }),
  ],
});
