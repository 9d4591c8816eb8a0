import { settings } from 'herald';

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
});
