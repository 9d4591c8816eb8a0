/**
 * The events that trigger workflows: a Segment `track` name and the zod schema of its properties.
 * The schema is the single source of truth: it types `s.data('…')` in workflows, decides which
 * `{{variables}}` templates may use, and validates incoming events at the runtime's door.
 * Examples feed previews and scenario tests, and the compiler checks them against the schema.
 */
import { event, z } from 'herald';

export const trialStarted = event('trial_started', {
  description: 'A user started a free trial of a plan.',
  schema: z.object({
    first_name: z.string(),
    plan_type: z.enum(['free', 'pro', 'team']),
    trial_days: z.number().int().positive().optional(),
  }),
  examples: [
    { first_name: 'Ada', plan_type: 'pro', trial_days: 14 },
    { first_name: 'Grace', plan_type: 'free' },
  ],
});

export const userSignedUp = event('user_signed_up', {
  description: 'A user created an account.',
  schema: z.object({
    first_name: z.string(),
    signup_source: z.enum(['web', 'ios', 'android']),
  }),
  examples: [{ first_name: 'Alan', signup_source: 'ios' }],
});

export const subscriptionCreated = event('subscription_created', {
  description: "Billing opened a subscription that starts with a free trial (the app forwards Stripe's customer.subscription.created).",
  schema: z.object({
    first_name: z.string(),
    plan_type: z.enum(['pro', 'team']),
    // A date-time in the schema is what lets a workflow wait until it: `s.delay(id, { until: s.data('trial_ends_at') })`.
    trial_ends_at: z.iso.datetime().describe('When the trial ends and the first payment is taken, ISO 8601 in UTC'),
  }),
  examples: [
    { first_name: 'Ada', plan_type: 'pro', trial_ends_at: '2025-01-20T12:00:00Z' },
    { first_name: 'Grace', plan_type: 'team', trial_ends_at: '2025-01-08T12:00:00Z' },
  ],
});

/** One line of an order; an array of objects, so templates loop over it with `{{#each items}}`. */
const orderItem = z.object({ name: z.string(), quantity: z.number().int().positive(), price: z.number().nonnegative() });

export const checkoutCompleted = event('checkout_completed', {
  description: 'An order was paid.',
  schema: z.object({
    order_id: z.string(),
    cart_id: z.string().describe('The cart the order was placed from: cart recovery stops for that cart only'),
    total: z.number().nonnegative(),
    currency: z.string().describe('ISO 4217 code, e.g. EUR'),
    items: z.array(orderItem),
  }),
  examples: [
    {
      order_id: 'ord_1042',
      cart_id: 'cart_77',
      total: 54.5,
      currency: 'EUR',
      items: [
        { name: 'Notebook', quantity: 2, price: 12.25 },
        { name: 'Fountain pen', quantity: 1, price: 30 },
      ],
    },
  ],
});

export const cartAbandoned = event('cart_abandoned', {
  description: 'A cart was left with items in it (sent by the shop after 30 minutes of inactivity).',
  schema: z.object({
    cart_id: z.string(),
    item_count: z.number().int().positive(),
    cart_url: z.string().describe('Link back to the cart, with its id'),
  }),
  examples: [
    { cart_id: 'cart_77', item_count: 3, cart_url: 'https://shop.example.com/cart/cart_77' },
    { cart_id: 'cart_78', item_count: 1, cart_url: 'https://shop.example.com/cart/cart_78' },
  ],
});

export const securityCodeRequested = event('security_code_requested', {
  description: 'A user asked for a one-time sign-in code.',
  schema: z.object({
    code: z.string().describe('The one-time code, e.g. 482915'),
    expires_in_minutes: z.number().int().positive(),
  }),
  examples: [{ code: '482915', expires_in_minutes: 10 }],
});

export const commentAdded = event('comment_added', {
  description: "Someone commented on one of the user's posts.",
  schema: z.object({
    comment_id: z.string(),
    author_name: z.string(),
    post_title: z.string(),
    excerpt: z.string(),
    post_url: z.string(),
  }),
  examples: [
    {
      comment_id: 'c_901',
      author_name: 'Linus',
      post_title: 'Why we moved to Postgres',
      excerpt: 'Great write-up, the part on vacuum was new to me.',
      post_url: 'https://blog.example.com/posts/why-postgres',
    },
    {
      comment_id: 'c_902',
      author_name: 'Barbara',
      post_title: 'Why we moved to Postgres',
      excerpt: 'Did you measure the write amplification?',
      post_url: 'https://blog.example.com/posts/why-postgres',
    },
  ],
});
