/**
 * Cart recovery: remind after an hour, then make a last call a day later on the first channel that works.
 * A `checkout_completed` of the same cart ends the run wherever it is, so nobody is chased after buying it;
 * checking out another cart (a quick buy in a second tab) leaves this one's chase going.
 */
import { workflow } from 'herald';
import { promotions } from '../categories.ts';
import { cartAbandoned, checkoutCompleted } from '../events.ts';
import { cartLastCall, cartReminder } from '../templates/cart.ts';

export default workflow('cart-recovery', {
  description: 'Bring back users who left items in their cart.',
  trigger: cartAbandoned,
  category: promotions,
  // Keyed: only the checkout whose cart_id is this run's cart_id (from cart_abandoned) cancels it.
  cancelOn: [{ event: checkoutCompleted, match: { cart_id: 'cart_id' } }],
  // Quiet hours for every send below, in the recipient's own timezone: a send due at 23:00 waits until 09:00.
  window: { days: 'daily', hours: '09:00-21:00', timezone: 'user' },
  steps: (s) => [
    // At most one recovery sequence per user per day, however many carts they abandon.
    s.throttle('once-a-day', { limit: 1, window: '1d' }),
    s.delay('wait-1h', '1h'),
    s.send('reminder-email', { template: cartReminder, channel: 'email' }),
    s.delay('wait-1d', '1d'),
    // `single`: try push, and fall back to sms, then email, when the user cannot receive the previous one.
    s.send('last-call', { template: cartLastCall, routing: { method: 'single', channels: ['push', 'sms', 'email'] } }),
  ],
});
