/**
 * Onboarding content. A template renders one event (`data:`), so its `{{variables}}` are that event's fields,
 * the recipient's profile (`{{user.email}}`, `{{user.traits.company}}`) and the built-ins
 * (`{{preferences_url}}`, `{{unsubscribe_url}}`). The compiler refuses any other name.
 */
import { template } from 'herald';
import { trialStarted } from '../events.ts';

const footer = '<p style="color:#888;font-size:12px"><a href="{{preferences_url}}">Manage your notification preferences</a></p>';

export const onboardingWelcome = template('onboarding-welcome', {
  data: trialStarted,
  email: {
    subject: 'Welcome aboard, {{first_name}}',
    text: [
      'Hi {{first_name}}, welcome to the {{plan_type}} plan!',
      '{{#if trial_days}}Your trial lasts {{trial_days}} days.{{/if}}',
      'Start here: https://app.example.com/getting-started',
      'Manage your notification preferences: {{preferences_url}}',
    ].join('\n\n'),
    html: [
      '<p>Hi {{first_name}}, welcome to the {{plan_type}} plan!</p>',
      '{{#if trial_days}}<p>Your trial lasts {{trial_days}} days.</p>{{/if}}',
      '<p><a href="https://app.example.com/getting-started">Start here</a></p>',
      footer,
    ].join('\n'),
  },
  sms: { body: 'Hi {{first_name}}, your {{plan_type}} trial is ready: https://app.example.com/getting-started' },
  inapp: { title: 'Welcome, {{first_name}}!', body: 'Your {{plan_type}} trial is ready. Take the two-minute tour.', actionUrl: '/getting-started' },
  // A variant replaces whole channels for recipients whose profile locale matches; inapp falls back to the default.
  locales: {
    fr: {
      email: {
        subject: 'Bienvenue à bord, {{first_name}}',
        text: 'Bonjour {{first_name}}, bienvenue dans le forfait {{plan_type}} !\n\nGérer vos préférences : {{preferences_url}}',
        html: [
          '<p>Bonjour {{first_name}}, bienvenue dans le forfait {{plan_type}} !</p>',
          '<p style="color:#888;font-size:12px"><a href="{{preferences_url}}">Gérer vos préférences de notification</a></p>',
        ].join('\n'),
      },
      sms: { body: 'Bonjour {{first_name}}, votre essai {{plan_type}} est prêt : https://app.example.com/getting-started' },
    },
  },
});

export const onboardingNextSteps = template('onboarding-next-steps', {
  data: trialStarted,
  email: {
    subject: '{{first_name}}, three things to try on the {{plan_type}} plan',
    text: [
      'Hi {{first_name}}, glad you had a look around.',
      '1. Invite a teammate\n2. Connect your first data source\n3. Set up an alert',
      'Manage your notification preferences: {{preferences_url}}',
    ].join('\n\n'),
    html: [
      '<p>Hi {{first_name}}, glad you had a look around.</p>',
      '<ol><li>Invite a teammate</li><li>Connect your first data source</li><li>Set up an alert</li></ol>',
      '{{#if user.traits.company}}<p>Everyone at {{user.traits.company}} can join for free during the trial.</p>{{/if}}',
      footer,
    ].join('\n'),
  },
});
