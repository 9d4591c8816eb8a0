/**
 * The onboarding flow: a welcome email, two hours to open it, then the follow-up that fits — next steps
 * for those who opened it, an in-app nudge for those in the app right now, an SMS for everyone else.
 */
import { workflow } from 'herald';
import { onboarding } from '../categories.ts';
import { trialStarted } from '../events.ts';
import { onboardingNextSteps, onboardingWelcome } from '../templates/onboarding.ts';

export default workflow('onboarding', {
  trigger: trialStarted,
  description: 'Welcome a new trial user, then follow up on the channel that fits.',
  category: onboarding,
  steps: (s) => [
    s.send('welcome', { template: onboardingWelcome, channel: 'email' }),
    s.waitFor('welcome-opened', { engagement: { step: 'welcome', kind: 'opened' }, timeout: '2h' }),
    s.branch('follow-up', [
      { when: s.engaged('welcome', 'opened'), then: [s.send('next-steps', { template: onboardingNextSteps, channel: 'email' })] },
      { when: s.user.activeWithin('5m'), then: [s.send('nudge-inapp', { template: onboardingWelcome, channel: 'inapp' })] },
      { otherwise: [s.send('nudge-sms', { template: onboardingWelcome, channel: 'sms' })] },
    ]),
  ],
});
