/**
 * Who the recipients of a replay are. The export carries only what events carry (a user id and the event's
 * properties), not profiles, so each user is assumed reachable everywhere: an email address, a phone number,
 * a push token and (with the id) the in-app inbox; no explicit preferences (each category's default
 * channels apply), no SMS opt-out, no locale (default content), no time zone (windows read in UTC), no
 * activity and no traits. What changes between two bundles is then what the bundles change, not who
 * happens to have a phone number today.
 */
import type { UserSnapshot } from '../../runtime/engine/index.ts';

export function assumedProfile(userId: string | null): UserSnapshot {
  const handle = (userId ?? 'anonymous').replace(/[^a-z0-9._-]/gi, '_');
  return {
    id: userId,
    email: `${handle}@replay.invalid`,
    phone_number: '+15555550100',
    push_tokens: [`replay-token-${handle}`],
    locale: null,
    timezone: null,
    traits: {},
    lastActiveAt: null,
    preferences: {},
    smsOptOut: false,
  };
}

/** The assumptions, worded for reports. */
export const PROFILE_ASSUMPTIONS = [
  'every user has an email address, a phone number, a push token and an in-app inbox',
  "no explicit preferences (each category's default channels apply) and no SMS opt-out",
  'no locale (default content), no time zone (send windows read in UTC), no traits',
  'no engagement and no activity: waits for an open or a click time out, `activeWithin` is false',
  'providers accept every message; runs go to their end in virtual time (delays and windows elapse)',
];
