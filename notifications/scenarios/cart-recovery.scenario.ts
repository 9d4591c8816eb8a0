/** Cart recovery: `cancelOn` stops the chase once the user buys; otherwise a reminder, then a last call. */
import { expect, scenario } from 'herald/testing';

const shopper = { id: 'shopper', email: 'shopper@example.com', timezone: 'Europe/Paris' };
const order = { order_id: 'ord_1', total: 24.5, currency: 'EUR', items: [{ name: 'Notebook', quantity: 2, price: 12.25 }] };

// No `data`: the scenario uses the first example of the trigger event (cart_abandoned in events.ts).
scenario('cart recovery: checkout before the reminder → nothing is sent', { workflow: 'cart-recovery', user: shopper }, (sim) => {
  sim.advance('30m').event('checkout_completed', order);
  expect(sim.status()).toBe('cancelled');
  sim.advance('2d');
  expect(sim.sent()).toEqual([]);
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
