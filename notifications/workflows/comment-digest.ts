/** Comments are collected for a day and sent as one email, instead of one email per comment. */
import { workflow } from 'herald';
import { activity } from '../categories.ts';
import { commentAdded } from '../events.ts';
import { commentDigest } from '../templates/comments.ts';

export default workflow('comment-digest', {
  trigger: commentAdded,
  category: activity,
  steps: (s) => [s.digest('daily-digest', { window: '1d' }), s.send('digest-email', { template: commentDigest, channel: 'email' })],
});
