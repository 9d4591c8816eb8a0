/**
 * Receipts: a required category, so users cannot opt out, and no send window, because a receipt at 3am is
 * still expected right away.
 */
import { workflow } from 'herald';
import { transactional } from '../categories.ts';
import { checkoutCompleted } from '../events.ts';
import { checkoutReceipt } from '../templates/checkout.ts';

export default workflow('checkout-receipt', {
  description: 'Email the receipt of a paid order, then confirm it by push.',
  trigger: checkoutCompleted,
  category: transactional,
  steps: (s) => [
    s.send('receipt-email', { template: checkoutReceipt, channel: 'email' }),
    s.send('receipt-push', { template: checkoutReceipt, channel: 'push' }),
  ],
});
