/**
 * Cart recovery content: a first reminder by email, then a last call written for every channel the
 * workflow may fall back to (push, then sms, then email). Promotions are a marketing category: the layout's footer
 * carries the one-click unsubscribe link, and the SMS says how to stop.
 */
import { template } from 'herald';
import { cartAbandoned } from '../events.ts';

export const cartReminder = template('cart-reminder', {
  data: cartAbandoned,
  email: {
    subject: 'You left {{item_count}} items in your cart',
    text: `Your {{item_count}} items are waiting: {{cart_url}}`,
    html: `<p>Your {{item_count}} items are waiting.</p>
      <p><a href="{{cart_url}}">Back to your cart</a></p>`,
  },
});

export const cartLastCall = template('cart-last-call', {
  data: cartAbandoned,
  push: { title: 'Still thinking it over?', body: 'Your {{item_count}} items are still in your cart.' },
  sms: { body: 'Your {{item_count}} items are still in your cart: {{cart_url}} (reply STOP to opt out)' },
  email: {
    subject: 'Last call: your cart is about to expire',
    text: `Your {{item_count}} items are still in your cart: {{cart_url}}`,
    html: `<p>Your {{item_count}} items are still in your cart.</p>
      <p><a href="{{cart_url}}">Complete your order</a></p>`,
  },
});
