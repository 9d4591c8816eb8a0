import { settings, z } from 'herald';
import { defaultLayout, example } from './layouts.ts';

/**
 * What the app stores on each user's profile beyond the fixed fields (Segment identify traits, the trigger API's
 * profile). Audiences are checked against it at build time, and typed by it in the editor (the Register below).
 */
export const traits = z.object({
  plan: z.enum(['free', 'pro', 'team']),
  seats: z.number().int().optional(),
  company: z.string().optional(),
  tags: z.array(z.string()).optional(),
});

declare module 'herald' {
  interface Register {
    traits: typeof traits;
  }
}

/**
 * Project-wide settings. Retention bounds how long runs, messages and waits are kept, so no `waitFor`
 * timeout or digest window in this folder may be longer than it.
 *
 * `limits` caps what one person receives across every workflow. SMS is the channel that interrupts (and
 * costs per message), so it gets a daily cap: the onboarding nudge, the cart's last call and whatever comes
 * next share three a day. Security codes are `critical` in a required category: they are never capped, so a
 * user locked out at night still gets their code (and it counts toward the cap for the rest).
 */
export default settings({
  retention: '30d',
  limits: [{ channel: 'sms', max: 3, per: '1d' }],
  // A signup's track often lands before its identify: a welcome with no email yet waits this long for one.
  addressGrace: '10s',
  traits,
  // The default brand: templates read it as {{brand.name}}, and a tenant's brand (PUT /v1/tenants/:id) overrides
  // these values key by key. Its keys are the only ones templates and tenants may use.
  brand: example,
  // Every email is framed by this layout (its footer carries the address and the unsubscribe link) unless its
  // template says otherwise; the MJML one (trial-ending) brings the footer in as a partial.
  layouts: { email: defaultLayout },
  // The compliance lint's findings fail the build: unsubscribe link and address in every email users can opt
  // out of, STOP and local hours in marketing SMS, subject and SMS lengths (compiler/compliance/README.md).
  compliance: 'strict',
});
