/** The receipt: one template with email and push content, both sent by the checkout-receipt workflow. */
import { template } from 'herald';
import { checkoutCompleted } from '../events.ts';

export const checkoutReceipt = template('checkout-receipt', {
  data: checkoutCompleted,
  email: {
    subject: 'Your receipt for order {{order_id}}',
    // Inside {{#each items}} the names are those of one item: {{name}}, {{quantity}}, {{price}}.
    text: `Thank you for your order {{order_id}}.

{{#each items}}
- {{quantity}} × {{name}}: {{price}}
{{/each}}

Total: {{total}} {{currency}}`,
    html: `<h1>Thank you for your order {{order_id}}</h1>
      <table>
        {{#each items}}<tr><td>{{quantity}} × {{name}}</td><td>{{price}}</td></tr>{{/each}}
      </table>
      <p><strong>Total: {{total}} {{currency}}</strong></p>`,
  },
  push: { title: 'Order {{order_id}} confirmed', body: 'We received your payment of {{total}} {{currency}}.' },
});
