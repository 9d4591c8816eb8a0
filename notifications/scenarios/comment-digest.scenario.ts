/**
 * The comment digest goes out on weekdays at 09:00 in the author's time zone: the first comment opens it, later
 * ones join it, and the next 09:00 (skipping the weekend) sends one email. The simulation starts on Monday
 * 2025-01-06 at 12:00 UTC, 13:00 in Paris.
 */
import { expect, scenario } from 'herald/testing';

const author = { id: 'author', email: 'author@example.com', timezone: 'Europe/Paris' };
const comment = (n: number, author: string) => ({
  comment_id: `c_${n}`,
  author_name: author,
  post_title: 'Why we moved to Postgres',
  excerpt: 'Nice one.',
  post_url: 'https://blog.example.com/posts/why-postgres',
});

scenario(
  'comment digest: three comments on Monday → one email on Tuesday at 09:00 Paris time',
  { workflow: 'comment-digest', user: author, data: comment(1, 'Linus') },
  (sim) => {
    sim.advance('2h').event('comment_added', comment(2, 'Barbara')).advance('3h').event('comment_added', comment(3, 'Edsger'));
    expect(sim.timeline()).toContain({ type: 'wait', step: 'daily-digest', kind: 'digest', until: '+20h' });
    sim.advance('899m');
    expect(sim.sent()).toEqual([]);
    // Tuesday 09:00 in Paris (08:00 UTC): 20 hours after Monday 13:00 Paris.
    sim.advance('1m');
    expect(sim.sent()).toMatchObject([{ step: 'digest-email', channel: 'email', at: '+20h', content: { subject: '3 new comments on your posts' } }]);
    expect(sim.runs()).toEqual(['run-1', 'run-2', 'run-3']);
    expect(sim.status('run-2')).toBe('completed');
  },
);

scenario(
  'comment digest: a comment on Friday evening waits for Monday 09:00',
  { workflow: 'comment-digest', user: author, data: comment(1, 'Linus'), now: '2025-01-10T18:00:00Z' },
  (sim) => {
    // Friday 19:00 Paris → Monday 09:00 Paris: 2 days 14 hours, with Saturday and Sunday skipped.
    sim.advance('61h');
    expect(sim.sent()).toEqual([]);
    sim.advance('1h');
    expect(sim.sent()).toMatchObject([{ step: 'digest-email', at: '+2d 14h', content: { subject: '1 new comment on your posts' } }]);
  },
);

scenario(
  'comment digest: a busy post lists 20 comments and counts the rest',
  { workflow: 'comment-digest', user: author, data: comment(1, 'Reader 1') },
  (sim) => {
    for (let n = 2; n <= 25; n++) sim.advance('10m').event('comment_added', comment(n, `Reader ${n}`));
    sim.advance('1d');
    const [email] = sim.sent();
    expect(email).toMatchObject({ step: 'digest-email', content: { subject: '25 new comments on your posts' } });
    const text = JSON.stringify(email?.content);
    // The oldest 20 are listed; the template says how many were left out.
    expect(text.includes('Reader 20 on') && !text.includes('Reader 21 on')).toBe(true);
    expect(text.includes('…and 5 more')).toBe(true);
    expect(sim.timeline()).toContain({ type: 'digest', step: 'daily-digest', outcome: 'collected', count: 25, omitted: 5 });
  },
);
