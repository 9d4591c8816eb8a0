/**
 * The reminder that a trial is about to turn paid. `trial_ends_at` is a date-time of the event, so the template
 * can show it in the recipient's own zone and language with `formatDate`.
 */
import { template } from 'herald';
import { subscriptionCreated } from '../events.ts';

export const trialEnding = template('trial-ending', {
  data: subscriptionCreated,
  email: {
    subject: 'Your {{plan_type}} trial ends on {{formatDate trial_ends_at "medium"}}',
    text: `Hi {{first_name}},

Your {{plan_type}} trial ends on {{formatDate trial_ends_at "medium"}}. After that, your plan renews and your card is charged.
Nothing to do to keep it. To change plans or cancel: https://app.example.com/billing

Manage your notification preferences: {{preferences_url}}`,
    html: `<p>Hi {{first_name}},</p>
      <p>Your {{plan_type}} trial ends on <strong>{{formatDate trial_ends_at "medium"}}</strong>. After that, your plan renews and your card is charged.</p>
      <p>Nothing to do to keep it. <a href="https://app.example.com/billing">Change plans or cancel</a>.</p>
      <footer style="color:#888;font-size:12px"><a href="{{preferences_url}}">Manage your notification preferences</a></footer>`,
  },
  inapp: { title: 'Your trial ends soon', body: 'Your {{plan_type}} trial ends on {{formatDate trial_ends_at "medium"}}.', actionUrl: '/billing' },
});
