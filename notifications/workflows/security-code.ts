/**
 * One-time codes: SMS first, email when the user has no phone number or SMS fails. `critical` sends ignore
 * send windows and preferences; the compiler allows it only in a required category.
 */
import { workflow } from 'herald';
import { security } from '../categories.ts';
import { securityCodeRequested } from '../events.ts';
import { securityCode } from '../templates/security.ts';

export default workflow('security-code', {
  description: 'Deliver a sign-in code right away on the first channel that reaches the user.',
  trigger: securityCodeRequested,
  category: security,
  steps: (s) => [s.send('code', { template: securityCode, routing: { method: 'single', channels: ['sms', 'email'] }, critical: true })],
});
