// The broadcasts tests' notifications: one SMS broadcast to a list, capped at one SMS a day per user, and a
// workflow that sends one SMS (to use up a user's cap before the broadcast).
import { audience, broadcast, category, event, provider, schedule, settings, template, workflow, z } from 'herald';

export default settings({
  retention: '30d',
  limits: [{ channel: 'sms', max: 1, per: '1d' }],
  addressGrace: '0s',
  // The default brand; a tenant's (PUT /v1/tenants/:id) goes over it for the runs sent for that tenant.
  brand: { name: 'Example Inc.', postalAddress: '1 Example Street' },
});

export const sms = provider('sandbox-sms', { channel: 'sms', kind: 'sandbox' });
export const email = provider('sandbox-email', { channel: 'email', kind: 'sandbox' });
export const promotions = category('promotions', { description: 'Offers and launches', defaultChannels: ['sms', 'email'] });

/** What a broadcast's templates render: nothing of a trigger (a broadcast has none), so an event with no fields. */
export const announcement = event('announcement', { schema: z.object({}) });
export const ping = event('ping', { schema: z.object({}) });

export const springText = template('spring-text', {
  data: announcement,
  sms: { body: 'Spring is here, {{user.traits.first_name}}! Stop: {{unsubscribe_url}}' },
  email: { subject: 'Spring launch', text: 'Hello {{user.email}}' },
});
export const pingText = template('ping-text', { data: ping, sms: { body: 'ping' } });

export const spring = broadcast('spring', { list: 'newsletter', template: springText, channel: 'sms', category: promotions });
export const slow = broadcast('slow', { list: 'slowlist', template: springText, channel: 'sms', category: promotions, rate: '60/min' });

export const pinged = workflow('ping', { trigger: ping, steps: (s) => [s.send('ping', { template: pingText, channel: 'sms' })] });

export const weekly = workflow('weekly', {
  trigger: schedule({ cron: '0 9 * * 1', timezone: 'user', recipients: { list: 'weekly' } }),
  category: promotions,
  steps: (s) => [s.send('digest', { template: springText, channel: 'email' })],
});

/** A broadcast and a list-triggered workflow that render the brand of the tenant they are sent for. */
export const brandedText = template('branded-text', {
  data: announcement,
  email: { subject: 'News from {{brand.name}}', text: 'Hello from {{brand.name}}, {{brand.postalAddress}}.' },
});
export const branded = broadcast('branded', { list: 'branded', template: brandedText, channel: 'email' });
export const brandedNews = workflow('branded-news', { trigger: announcement, steps: (s) => [s.send('news', { template: brandedText, channel: 'email' })] });

/** French-speaking users who have not turned promotional email off, and a broadcast to them. */
export const french = audience('french', {
  where: (u) =>
    u
      .field('locale')
      .startsWith('fr')
      .and(u.not(u.optedOut(promotions, 'email'))),
});
export const frenchNews = broadcast('french-news', { audience: french, template: brandedText, channel: 'email', category: promotions });
