/**
 * Onboarding: welcome by email, give the user two hours to open it, then follow up on the channel most
 * likely to reach them. A user who is in the app gets the nudge in their inbox, and the next steps by email only
 * if they leave it unread for a day. Steps have ids (stable across deploys: a run in flight resumes at its step id).
 */
import { workflow } from 'herald';
import { onboarding } from '../categories.ts';
import { trialStarted } from '../events.ts';
import { onboardingNextSteps, onboardingWelcome } from '../templates/onboarding.ts';

export default workflow('onboarding', {
  description: 'Welcome a new trial user, then follow up depending on whether they engaged.',
  trigger: trialStarted,
  category: onboarding,
  steps: (s) => [
    s.send('welcome', { template: onboardingWelcome, channel: 'email' }),
    // Resumes as soon as the welcome email is opened, or after 2h without it.
    s.waitFor('welcome-opened', { engagement: { step: 'welcome', kind: 'opened' }, timeout: '2h' }),
    // The first arm whose condition holds runs; `otherwise` runs when none does.
    s.branch('follow-up', [
      { when: s.engaged('welcome', 'opened'), then: [s.send('next-steps', { template: onboardingNextSteps, channel: 'email' })] },
      {
        when: s.user.activeWithin('5m'),
        then: [
          s.send('nudge-inapp', { template: onboardingWelcome, channel: 'inapp' }),
          // Read in the inbox (opened, marked read, or its tour link followed) ends the run here; a day unread → email.
          s.waitFor('nudge-read', { engagement: { step: 'nudge-inapp', kind: 'read' }, timeout: '1d' }),
          s.branch('nudge-unread', [
            { when: s.not(s.engaged('nudge-inapp', 'read')), then: [s.send('nudge-email', { template: onboardingNextSteps, channel: 'email' })] },
          ]),
        ],
      },
      { otherwise: [s.send('nudge-sms', { template: onboardingWelcome, channel: 'sms' })] },
    ]),
  ],
});
