/**
 * The daily comment digest. After a `digest` step the template also sees `{{digest.count}}` (how many
 * events were gathered) and `{{digest.items}}` (their data, oldest first), so the names inside
 * `{{#each digest.items}}` are the fields of `comment_added`.
 */
import { template } from 'herald';
import { commentAdded } from '../events.ts';

export const commentDigest = template('comment-digest', {
  data: commentAdded,
  email: {
    subject: '{{digest.count}} new comments on your posts',
    text: `You have {{digest.count}} new comments:

{{#each digest.items}}
- {{author_name}} on {{post_title}}: "{{excerpt}}" {{post_url}}
{{/each}}

Manage your notification preferences: {{preferences_url}}`,
    html: `<p>You have {{digest.count}} new comments:</p>
      <ul>
        {{#each digest.items}}<li>{{author_name}} on {{post_title}}: <a href="{{post_url}}">{{excerpt}}</a></li>{{/each}}
      </ul>
      <footer style="color:#888;font-size:12px"><a href="{{preferences_url}}">Manage your notification preferences</a></footer>`,
  },
});
