/**
 * Preference categories: what a user can opt in or out of, per channel, on the preference page.
 * `defaultChannels` are on until the user says otherwise; a `required` category cannot be turned off
 * (receipts, security codes), which is also the only place a send may be `critical`.
 */
import { category } from 'herald';

export const onboarding = category('onboarding', {
  description: 'Tips for getting started during your trial',
  defaultChannels: ['email', 'sms', 'inapp'],
});

export const transactional = category('transactional', {
  description: 'Receipts and confirmations of what you bought',
  defaultChannels: ['email', 'push'],
  required: true,
});

// Marketing: its SMS must say how to stop and wait for the recipient's daytime (the compliance lint checks it).
export const promotions = category('promotions', {
  description: 'Reminders about your cart and offers',
  defaultChannels: ['email', 'push'],
  marketing: true,
});

export const security = category('security', {
  description: 'Sign-in codes and account security alerts',
  defaultChannels: ['sms', 'email'],
  required: true,
});

export const activity = category('activity', {
  description: 'Comments and replies on your posts',
  defaultChannels: ['email', 'inapp'],
});
