/** The account welcome, written for every channel it may go out on (the workflow routes it to all of them). */
import { template } from 'herald';
import { userSignedUp } from '../events.ts';

export const signupWelcome = template('signup-welcome', {
  data: userSignedUp,
  email: {
    subject: 'Your account is ready, {{first_name}}',
    text: `Hi {{first_name}}, your account ({{user.email}}) is ready.`,
    html: `<p>Hi {{first_name}}, your account ({{user.email}}) is ready.</p>`,
  },
  push: { title: 'Welcome, {{first_name}}', body: 'Your account is ready. Tap to finish setting it up.' },
  inapp: { title: 'Welcome, {{first_name}}', body: 'Finish setting up your profile to get the most out of it.', actionUrl: '/settings/profile' },
});
