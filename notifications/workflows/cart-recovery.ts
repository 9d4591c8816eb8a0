/**
 * Cart recovery: a reminder an hour after the cart is abandoned, a last call a day later on the first
 * channel that reaches the user — all of it called off the moment they check out, at most once a day,
 * and only in the user's daytime.
 */
import { workflow } from 'herald';
import { promotions } from '../categories.ts';
import { cartAbandoned, checkoutCompleted } from '../events.ts';
import { cartLastCall, cartReminder } from '../templates/cart.ts';

export default workflow('cart-recovery', {
  trigger: cartAbandoned,
  category: promotions,
  cancelOn: [checkoutCompleted],
  window: { days: 'daily', hours: '09:00-21:00', timezone: 'user' },
  steps: (s) => [
    s.throttle('once-a-day', { limit: 1, window: '1d' }),
    s.delay('wait-an-hour', '1h'),
    s.send('reminder', { template: cartReminder, channel: 'email' }),
    s.delay('wait-a-day', '1d'),
    s.send('last-call', { template: cartLastCall, routing: { method: 'single', channels: ['push', 'sms', 'email'] } }),
  ],
});
