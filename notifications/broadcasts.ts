/**
 * Broadcasts: one message to everyone in an audience, sent when someone decides to (`POST /v1/broadcasts/:id/send`
 * or the dashboard's button), not when an event happens. Each recipient gets an ordinary run: their preferences,
 * frequency caps and unsubscribes apply, and the window holds each message until 9:00 on the recipient's own clock.
 *
 * A broadcast has no trigger data, so its templates read the recipient (`{{user.…}}`), the brand and the built-in
 * links, never event fields: the compiler refuses a template that does (`template-reads-data`). A template still
 * names an event; `announcement` has no fields, so nothing of it can be read by mistake.
 */
import { broadcast, event, template, z } from 'herald';
import { euFreePlan } from './audiences.ts';
import { promotions } from './categories.ts';

export const announcement = event('announcement', {
  description: 'What broadcast templates render: nothing but the recipient (a broadcast has no trigger data)',
  schema: z.object({}),
});

export const springLaunchContent = template('spring-launch', {
  data: announcement,
  email: {
    subject: 'Spring is here: Pro features free for a week',
    text: `Hello {{user.email}},

Everything on the Pro plan is yours to try for a week, starting now: https://app.example.com/spring`,
  },
  inapp: { title: 'Spring is here', body: 'Pro features are free for a week.', actionUrl: '/spring' },
});

export const springLaunch = broadcast('spring-launch', {
  audience: euFreePlan,
  template: springLaunchContent,
  category: promotions,
  rate: '500/min',
  window: { days: 'daily', hours: '09:00-12:00', timezone: 'user' },
});
