/**
 * The reminder that a trial is about to turn paid. `trial_ends_at` is a date-time of the event, so the template
 * can show it in the recipient's own zone and language with `formatDate`. Its email is the example's one written in
 * MJML (compiled to HTML at build time); the other emails are plain HTML framed by the layout in ../layouts.ts.
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

{{> legal-footer}}`,
    // Written in MJML, compiled at build time into the table-based, inlined HTML email clients need. An MJML email
    // takes no layout (it is a whole document): the legal footer comes in as a partial.
    mjml: `<mjml>
  <mj-body width="600px">
    <mj-section>
      <mj-column>
        <mj-text font-weight="bold" color="{{brand.colors.primary}}">{{brand.name}}</mj-text>
        <mj-text font-size="16px">Hi {{first_name}},</mj-text>
        <mj-text font-size="16px">Your {{plan_type}} trial ends on <strong>{{formatDate trial_ends_at "medium"}}</strong>. After that, your plan renews and your card is charged.</mj-text>
        <mj-button href="https://app.example.com/billing" background-color="{{brand.colors.primary}}">Change plans or cancel</mj-button>
        <mj-text>{{> legal-footer}}</mj-text>
      </mj-column>
    </mj-section>
  </mj-body>
</mjml>`,
  },
  inapp: { title: 'Your trial ends soon', body: 'Your {{plan_type}} trial ends on {{formatDate trial_ends_at "medium"}}.', actionUrl: '/billing' },
});
