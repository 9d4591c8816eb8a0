/**
 * Cart recovery: `cancelOn` stops the chase once the user buys that cart (keyed on `cart_id`); a checkout of
 * another cart leaves it going; otherwise a reminder, then a last call.
 */
import { expect, scenario } from 'herald/testing';

const shopper = { id: 'shopper', email: 'shopper@example.com', timezone: 'Europe/Paris' };
// No `data` in these scenarios: the run is for the first example of cart_abandoned (events.ts), cart_77.
const checkout = (cart_id: string) => ({
  order_id: 'ord_1',
  cart_id,
  total: 24.5,
  currency: 'EUR',
  items: [{ name: 'Notebook', quantity: 2, price: 12.25 }],
});

scenario('cart recovery: checkout of the cart before the reminder → nothing is sent', { workflow: 'cart-recovery', user: shopper }, (sim) => {
  sim.advance('30m').event('checkout_completed', checkout('cart_77'));
  expect(sim.status()).toBe('cancelled');
  sim.advance('2d');
  expect(sim.sent()).toEqual([]);
});

scenario('cart recovery: checkout of another cart does not cancel this one', { workflow: 'cart-recovery', user: shopper }, (sim) => {
  // The shopper buys something else (cart_78) in another tab: cart_77 is still abandoned.
  sim.advance('30m').event('checkout_completed', checkout('cart_78'));
  expect(sim.status()).toBe('waiting');
  expect(sim.timeline()).toContain({ type: 'step', kind: 'event', outcome: 'unmatched', at: '+30m' });
  sim.advance('1h');
  expect(sim.sent()).toMatchObject([{ step: 'reminder-email', channel: 'email', at: '+1h' }]);
  // Then they buy cart_77 itself: the last call never goes out.
  sim.event('checkout_completed', checkout('cart_77'));
  expect(sim.status()).toBe('cancelled');
  sim.advance('2d');
  expect(sim.sent()).toHaveLength(1);
});

scenario('cart recovery: no checkout → reminder at +1h, last call by email a day later', { workflow: 'cart-recovery', user: shopper }, (sim) => {
  sim.advance('2d');
  // Last call routes push → sms → email: no push token, and SMS is not a default channel of promotions.
  expect(sim.sent()).toMatchObject([
    { step: 'reminder-email', channel: 'email', at: '+1h' },
    { step: 'last-call', channel: 'email', at: '+1d 1h' },
  ]);
  expect(sim.messages().filter((m) => m.status === 'skipped')).toMatchObject([
    { step: 'last-call', channel: 'push', reason: 'no_address' },
    { step: 'last-call', channel: 'sms', reason: 'preference' },
  ]);
});
