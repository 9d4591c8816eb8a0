/** Sign-in codes: SMS first; a user with no phone number gets the code by email instead. */
import { expect, scenario } from 'herald/testing';

scenario(
  'security code: no phone number → SMS skipped, code by email',
  { workflow: 'security-code', user: { id: 'no-phone', email: 'np@example.com' }, data: { code: '482915', expires_in_minutes: 10 } },
  (sim) => {
    expect(sim.messages()).toMatchObject([
      { step: 'code', channel: 'sms', status: 'skipped', reason: 'no_address' },
      { step: 'code', channel: 'email', status: 'sent', content: { subject: 'Your sign-in code: 482915' } },
    ]);
  },
);
