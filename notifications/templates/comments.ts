/**
 * The weekday comment digest. After a `digest` step the template also sees `{{digest.count}}` (how many
 * events were gathered), `{{digest.items}}` (their data, oldest first: at most the step's `maxItems`) and
 * `{{digest.omitted}}` (how many `items` left out), so the names inside `{{#each digest.items}}` are the
 * fields of `comment_added`.
 */
import { template } from 'herald';
import { commentAdded } from '../events.ts';

export const commentDigest = template('comment-digest', {
  data: commentAdded,
  email: {
    subject: '{{digest.count}} new {{pluralize digest.count "comment"}} on your posts',
    text: `You have {{digest.count}} new comments:

{{#each digest.items}}
- {{author_name}} on {{post_title}}: "{{excerpt}}" {{post_url}}
{{/each}}
{{#if digest.omitted}}…and {{digest.omitted}} more on https://blog.example.com/comments
{{/if}}`,
    html: `<p>You have {{digest.count}} new comments:</p>
      <ul>
        {{#each digest.items}}<li>{{author_name}} on {{post_title}}: <a href="{{post_url}}">{{excerpt}}</a></li>{{/each}}
      </ul>
      {{#if digest.omitted}}<p>…and <a href="https://blog.example.com/comments">{{digest.omitted}} more</a></p>{{/if}}`,
  },
});
