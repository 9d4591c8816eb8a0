/**
 * Comments are gathered and sent as one email on weekdays at 09:00 in the author's own time zone. The first
 * `comment_added` starts the run and opens the digest; the ones that follow before the next 09:00 join that
 * run instead of starting their own. Weekend comments wait for Monday morning.
 */
import { workflow } from 'herald';
import { activity } from '../categories.ts';
import { commentAdded } from '../events.ts';
import { commentDigest } from '../templates/comments.ts';

export default workflow('comment-digest', {
  description: 'A weekday-morning email of the new comments on your posts.',
  trigger: commentAdded,
  category: activity,
  steps: (s) => [
    // `timezone: 'user'` reads the author's profile (UTC when it has none); a busy post lists 20 comments and
    // counts the rest (`digest.omitted`), so the email stays readable.
    s.digest('daily-digest', { schedule: { days: 'weekdays', at: '09:00', timezone: 'user' }, maxItems: 20 }),
    s.send('digest-email', { template: commentDigest, channel: 'email' }),
  ],
});
