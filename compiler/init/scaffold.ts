/**
 * What `herald init` writes into a team's repository: a notifications folder with one event, template,
 * workflow and scenario that pass `herald check` and `herald test`, the pull-request workflow (check → test →
 * diff comment) and a Dockerfile for the runtime. Plain text, so a reader sees exactly what lands.
 */

export interface ScaffoldFile {
  path: string;
  text: string;
}

export const NOTIFICATIONS: ScaffoldFile[] = [
  {
    path: 'notifications/settings.ts',
    text: `import { settings } from 'herald';

/** How long runs, messages and waits are kept: no wait in this folder may be longer. */
export default settings({ retention: '30d' });
`,
  },
  {
    path: 'notifications/events.ts',
    text: `import { event, z } from 'herald';

/** Your app sends this (API, Segment or the typed client) when someone signs up. */
export const userSignedUp = event('user_signed_up', {
  schema: z.object({ first_name: z.string() }),
  examples: [{ first_name: 'Ada' }],
});
`,
  },
  {
    path: 'notifications/providers.ts',
    text: `import { provider } from 'herald';

/** Records messages instead of sending them. Add SendGrid, Twilio or FCM beside it (see Herald's README). */
export const sandboxEmail = provider('sandbox-email', { channel: 'email', kind: 'sandbox', from: 'hello@example.com' });
`,
  },
  {
    path: 'notifications/categories.ts',
    text: `import { category } from 'herald';

export const account = category('account', { description: 'About your account', defaultChannels: ['email'] });
`,
  },
  {
    path: 'notifications/templates/welcome.ts',
    text: `import { template } from 'herald';
import { userSignedUp } from '../events.ts';

export const welcome = template('welcome', {
  data: userSignedUp,
  email: { subject: 'Welcome, {{first_name}}', text: 'Hi {{first_name}}, thanks for signing up.' },
});
`,
  },
  {
    path: 'notifications/workflows/welcome.ts',
    text: `import { workflow } from 'herald';
import { account } from '../categories.ts';
import { userSignedUp } from '../events.ts';
import { welcome } from '../templates/welcome.ts';

export default workflow('welcome', {
  description: 'Welcome a new user by email.',
  trigger: userSignedUp,
  category: account,
  steps: (s) => [s.send('welcome-email', { template: welcome, channel: 'email' })],
});
`,
  },
  {
    path: 'notifications/scenarios/welcome.scenario.ts',
    text: `import { expect, scenario } from 'herald/testing';

scenario('welcome: one email, right away', { workflow: 'welcome', user: { id: 'ada', email: 'ada@example.com' }, data: { first_name: 'Ada' } }, (sim) => {
  expect(sim.sent()).toMatchObject([{ step: 'welcome-email', channel: 'email', at: '+0s', content: { subject: 'Welcome, Ada' } }]);
  expect(sim.status()).toBe('completed');
});
`,
  },
];

export const PULL_REQUEST_WORKFLOW: ScaffoldFile = {
  path: '.github/workflows/notifications.yml',
  text: `# Herald on every pull request: check, test in virtual time, and comment what the change does to users.
name: notifications
on:
  pull_request:
    paths: ['notifications/**']
permissions:
  contents: read
  pull-requests: write
jobs:
  notifications:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with: { fetch-depth: 0 }
      - uses: actions/setup-node@v4
        with: { node-version: 24 }
      - run: npm ci
      - run: npx herald check
      - run: npx herald test
      - run: npx herald diff --base origin/\${{ github.base_ref }} > herald-diff.md
      - run: gh pr comment \${{ github.event.pull_request.number }} --edit-last --body-file herald-diff.md || gh pr comment \${{ github.event.pull_request.number }} --body-file herald-diff.md
        env:
          GH_TOKEN: \${{ github.token }}
`,
};

export const DOCKERFILE: ScaffoldFile = {
  path: 'Dockerfile.herald',
  text: `# The Herald runtime for this repository's notifications: build the bundle, run it (production dependencies only).
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY notifications ./notifications
RUN npx herald build notifications --out dist/bundle.json

FROM node:24-bookworm-slim
ENV NODE_ENV=production HERALD_HOST=0.0.0.0 PORT=3000
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev
COPY --from=build /app/dist/bundle.json ./dist/bundle.json
USER node
EXPOSE 3000
CMD ["npx", "herald", "start", "--bundle", "dist/bundle.json"]
`,
};

/** The scripts `herald init` adds to package.json (an existing script of the same name is kept). */
export const SCRIPTS: Record<string, string> = {
  'notifications:check': 'herald check notifications',
  'notifications:test': 'herald test notifications',
  'notifications:build': 'herald build notifications --out dist/bundle.json',
  'notifications:dev': 'herald dev notifications',
};
