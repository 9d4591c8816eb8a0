/**
 * Comments are gathered for a day, then sent as one email. The first `comment_added` starts the run and
 * opens the window; the ones that follow within it join that run instead of starting their own.
 */
import { workflow } from 'herald';
import { activity } from '../categories.ts';
import { commentAdded } from '../events.ts';
import { commentDigest } from '../templates/comments.ts';

export default workflow('comment-digest', {
  description: 'A daily email of the new comments on your posts.',
  trigger: commentAdded,
  category: activity,
  steps: (s) => [s.digest('daily-digest', { window: '1d' }), s.send('digest-email', { template: commentDigest, channel: 'email' })],
});
