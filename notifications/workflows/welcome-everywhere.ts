/** A new account is welcomed on every channel the user can be reached on (routing `all`). */
import { workflow } from 'herald';
import { onboarding } from '../categories.ts';
import { userSignedUp } from '../events.ts';
import { signupWelcome } from '../templates/signup.ts';

export default workflow('welcome-everywhere', {
  trigger: userSignedUp,
  category: onboarding,
  steps: (s) => [s.send('welcome', { template: signupWelcome, routing: { method: 'all', channels: ['email', 'push', 'inapp'] } })],
});
