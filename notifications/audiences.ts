/**
 * Audiences: named groups of users, kept as typed filters over profiles. Broadcasts and scheduled workflows send
 * to them; `herald audiences preview eu-free-plan` shows who is in one today.
 */
import { audience } from 'herald';
import { promotions } from './categories.ts';

/** French-speaking users on the free plan who have not turned promotional email off: the upgrade campaign's audience. */
export const euFreePlan = audience('eu-free-plan', {
  description: 'Free plan, French-speaking, promotions email not turned off',
  where: (u) =>
    u
      .trait('plan')
      .eq('free')
      .and(u.field('locale').startsWith('fr'), u.not(u.optedOut(promotions, 'email'))),
});
