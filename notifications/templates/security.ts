/** The one-time code, for both channels the workflow may route it to. */
import { template } from 'herald';
import { securityCodeRequested } from '../events.ts';

export const securityCode = template('security-code', {
  data: securityCodeRequested,
  sms: { body: 'Your sign-in code is {{code}}. It expires in {{expires_in_minutes}} minutes. Never share it.' },
  email: {
    subject: 'Your sign-in code: {{code}}',
    text: `Someone (hopefully you) asked to sign in as {{user.email}}.

Your code is {{code}}; it expires in {{expires_in_minutes}} minutes. If it was not you, ignore this email.`,
    html: `<p>Someone (hopefully you) asked to sign in as {{user.email}}.</p>
      <p style="font-size:24px;letter-spacing:4px"><strong>{{code}}</strong></p>
      <p>It expires in {{expires_in_minutes}} minutes. If it was not you, ignore this email.</p>`,
  },
});
