/**
 * Onboarding content. A template renders one event (`data:`), so its `{{variables}}` are that event's fields,
 * the recipient's profile (`{{user.email}}`, `{{user.traits.company}}`) and the built-ins
 * (`{{preferences_url}}`, `{{unsubscribe_url}}`). The compiler refuses any other name.
 *
 * Content is written as plain string literals (no `${…}`), so a compiler error points at the exact line
 * and column inside the text.
 */
import { template } from 'herald';
import { trialStarted } from '../events.ts';

export const onboardingWelcome = template('onboarding-welcome', {
  data: trialStarted,
  email: {
    subject: 'Welcome aboard, {{first_name}}',
    text: `Hi {{first_name}}, welcome to the {{plan_type}} plan!
{{#if trial_days}}Your trial lasts {{trial_days}} days.{{/if}}

Start here: https://app.example.com/getting-started`,
    html: `<p>Hi {{first_name}}, welcome to the {{plan_type}} plan!</p>
      {{#if trial_days}}<p>Your trial lasts {{trial_days}} days.</p>{{/if}}
      <p><a href="https://app.example.com/getting-started" style="color:{{brand.colors.primary}}">Start here</a></p>`,
  },
  sms: { body: 'Hi {{first_name}}, your {{plan_type}} trial is ready: https://app.example.com/getting-started' },
  inapp: { title: 'Welcome, {{first_name}}!', body: 'Your {{plan_type}} trial is ready. Take the two-minute tour.', actionUrl: '/getting-started' },
  // A locale variant replaces whole channels for recipients whose profile locale matches (`fr`, `fr-CA`);
  // channels it leaves out (inapp here) fall back to the default content.
  locales: {
    fr: {
      email: {
        subject: 'Bienvenue à bord, {{first_name}}',
        text: `Bonjour {{first_name}}, bienvenue dans le forfait {{plan_type}} !`,
        html: `<p>Bonjour {{first_name}}, bienvenue dans le forfait {{plan_type}} !</p>`,
      },
      sms: { body: 'Bonjour {{first_name}}, votre essai {{plan_type}} est prêt : https://app.example.com/getting-started' },
    },
  },
});

export const onboardingNextSteps = template('onboarding-next-steps', {
  data: trialStarted,
  email: {
    subject: '{{first_name}}, three things to try on the {{plan_type}} plan',
    text: `Hi {{first_name}}, glad you had a look around. Three things to try next:

1. Invite a teammate
2. Connect your first data source
3. Set up an alert`,
    html: `<p>Hi {{first_name}}, glad you had a look around. Three things to try next:</p>
      <ol><li>Invite a teammate</li><li>Connect your first data source</li><li>Set up an alert</li></ol>
      {{#if user.traits.company}}<p>Everyone at {{user.traits.company}} can join for free during the trial.</p>{{/if}}`,
  },
});
