/**
 * The account welcome, on every channel at once. No category: it is a one-off about the account itself,
 * so it goes to every channel the user has an address for (a missing push token just skips push). Read sync:
 * once the user reads the welcome in the app's inbox, the email and the push are marked read too.
 */
import { workflow } from 'herald';
import { userSignedUp } from '../events.ts';
import { signupWelcome } from '../templates/signup.ts';

export default workflow('welcome-everywhere', {
  description: 'Greet a new account on email, push and in-app together.',
  trigger: userSignedUp,
  steps: (s) => [s.send('welcome-all', { template: signupWelcome, routing: { method: 'all', channels: ['email', 'push', 'inapp'] }, readSync: true })],
});
