/**
 * Writes a synthetic notifications tree of N workflows (two templates each) for compiler benchmarks. The tree
 * lives inside the package so that `import … from 'herald'` resolves as it does for a team's own folder.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function generateTree(dir: string, workflows: number): string {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'workflows'), { recursive: true });
  writeFileSync(
    join(dir, 'catalog.ts'),
    `import { category, provider } from 'herald';
export const email = provider('sandbox-email', { channel: 'email', kind: 'sandbox' });
export const sms = provider('sandbox-sms', { channel: 'sms', kind: 'sandbox' });
export const inapp = provider('inbox', { channel: 'inapp', kind: 'inapp' });
export const updates = category('updates', { description: 'Product updates', defaultChannels: ['email', 'sms', 'inapp'] });
`,
  );
  for (let i = 0; i < workflows; i++) {
    writeFileSync(
      join(dir, 'workflows', `flow-${i}.ts`),
      `import { event, template, workflow, z } from 'herald';
import { updates } from '../catalog.ts';

export const started${i} = event('thing_${i}_started', {
  schema: z.object({ first_name: z.string(), plan: z.enum(['free', 'pro']), count: z.number() }),
  examples: [{ first_name: 'Ada', plan: 'pro', count: ${i} }],
});
export const hello${i} = template('hello-${i}', {
  data: started${i},
  email: { subject: 'Hello {{first_name}}', html: '<p>Hi {{first_name}}, you have {{count}} things on {{plan}}.</p>' },
  sms: { body: 'Hi {{first_name}}: {{count}} things' },
});
export const nudge${i} = template('nudge-${i}', {
  data: started${i},
  inapp: { title: 'Still there, {{first_name}}?', body: '{{count}} things wait', actionUrl: '/things' },
  sms: { body: 'Come back {{first_name}}' },
});
export default workflow('flow-${i}', {
  trigger: started${i},
  category: updates,
  steps: (s) => [
    s.send('hello', { template: hello${i}, channel: 'email' }),
    s.waitFor('opened', { engagement: { step: 'hello', kind: 'opened' }, timeout: '2h' }),
    s.branch('follow-up', [
      { when: s.engaged('hello', 'opened'), then: [] },
      { when: s.and(s.user.activeWithin('5m'), s.data('plan').eq('pro')), then: [s.send('nudge-inapp', { template: nudge${i}, channel: 'inapp' })] },
      { otherwise: [s.send('nudge-sms', { template: nudge${i}, channel: 'sms' })] },
    ]),
  ],
});
`,
    );
  }
  return dir;
}
