/** A sign-in code: critical (it ignores quiet hours), by SMS, or by email when the user has no phone. */
import { workflow } from 'herald';
import { security } from '../categories.ts';
import { securityCodeRequested } from '../events.ts';
import { securityCode } from '../templates/security.ts';

export default workflow('security-code', {
  trigger: securityCodeRequested,
  category: security,
  steps: (s) => [s.send('code', { template: securityCode, routing: { method: 'single', channels: ['sms', 'email'] }, critical: true })],
});
