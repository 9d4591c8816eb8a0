/**
 * Cart recovery content: a first reminder by email, then a last call written for every channel the
 * workflow may fall back to (push, then sms, then email). Promotions carry an unsubscribe link.
 */
import { template } from 'herald';
import { cartAbandoned } from '../events.ts';

export const cartReminder = template('cart-reminder', {
  data: cartAbandoned,
  email: {
    subject: 'You left {{item_count}} items in your cart',
    text: `Your {{item_count}} items are waiting: {{cart_url}}

Unsubscribe from cart reminders: {{unsubscribe_url}}`,
    html: `<p>Your {{item_count}} items are waiting.</p>
      <p><a href="{{cart_url}}">Back to your cart</a></p>
      <footer style="color:#888;font-size:12px"><a href="{{unsubscribe_url}}">Unsubscribe from cart reminders</a></footer>`,
  },
});

export const cartLastCall = template('cart-last-call', {
  data: cartAbandoned,
  push: { title: 'Still thinking it over?', body: 'Your {{item_count}} items are still in your cart.' },
  sms: { body: 'Your {{item_count}} items are still in your cart: {{cart_url}} (reply STOP to opt out)' },
  email: {
    subject: 'Last call: your cart is about to expire',
    text: `Your {{item_count}} items are still in your cart: {{cart_url}}

Unsubscribe from cart reminders: {{unsubscribe_url}}`,
    html: `<p>Your {{item_count}} items are still in your cart.</p>
      <p><a href="{{cart_url}}">Complete your order</a></p>
      <footer style="color:#888;font-size:12px"><a href="{{unsubscribe_url}}">Unsubscribe from cart reminders</a></footer>`,
  },
});
