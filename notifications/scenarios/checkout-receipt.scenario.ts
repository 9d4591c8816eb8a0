/** Receipts: a required category, so they go out even to a user who opted out of everything else. */
import { expect, scenario } from 'herald/testing';

scenario(
  'checkout receipt: email, then push, right away',
  { workflow: 'checkout-receipt', user: { id: 'buyer', email: 'buyer@example.com', push_tokens: ['fcm-token-1'] } },
  (sim) => {
    expect(sim.sent()).toMatchObject([
      { step: 'receipt-email', channel: 'email', at: '+0s', content: { subject: 'Your receipt for order ord_1042' } },
      { step: 'receipt-push', channel: 'push', at: '+0s', content: { title: 'Order ord_1042 confirmed' } },
    ]);
    expect(sim.status()).toBe('completed');
  },
);
