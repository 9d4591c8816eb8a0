/** The receipt: required (users cannot opt out of it), by email, then a push to the phone. */
import { workflow } from 'herald';
import { transactional } from '../categories.ts';
import { checkoutCompleted } from '../events.ts';
import { checkoutReceipt } from '../templates/checkout.ts';

export default workflow('checkout-receipt', {
  trigger: checkoutCompleted,
  category: transactional,
  steps: (s) => [
    s.send('receipt-email', { template: checkoutReceipt, channel: 'email' }),
    s.send('receipt-push', { template: checkoutReceipt, channel: 'push' }),
  ],
});
