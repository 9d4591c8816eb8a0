/** The comment digest: the first comment opens a one-day window, later ones join it, one email at the end. */
import { expect, scenario } from 'herald/testing';

const comment = (n: number, author: string) => ({
  comment_id: `c_${n}`,
  author_name: author,
  post_title: 'Why we moved to Postgres',
  excerpt: 'Nice one.',
  post_url: 'https://blog.example.com/posts/why-postgres',
});

scenario(
  'comment digest: three comments in a day → one email listing them',
  { workflow: 'comment-digest', user: { id: 'author', email: 'author@example.com' }, data: comment(1, 'Linus') },
  (sim) => {
    sim.advance('2h').event('comment_added', comment(2, 'Barbara')).advance('3h').event('comment_added', comment(3, 'Edsger'));
    expect(sim.sent()).toEqual([]);
    sim.advance('1d');
    expect(sim.sent()).toMatchObject([{ step: 'digest-email', channel: 'email', at: '+1d', content: { subject: '3 new comments on your posts' } }]);
    expect(sim.runs()).toEqual(['run-1', 'run-2', 'run-3']);
    expect(sim.status('run-2')).toBe('completed');
  },
);
