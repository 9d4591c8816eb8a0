/**
 * What `herald init` writes into a team's repository: a notifications folder with one event, template,
 * workflow and scenario that pass `herald check` and `herald test`, the pull-request workflow (check → test →
 * diff comment) and a Dockerfile for the runtime. Plain text, so a reader sees exactly what lands.
 */

import type { PackageManager, RepositoryLayout } from './repository.ts';

export interface ScaffoldFile {
  path: string;
  text: string;
}

export const NOTIFICATIONS: ScaffoldFile[] = [
  {
    path: 'notifications/settings.ts',
    text: `import { settings } from 'herald';

/**
 * How long runs, messages and waits are kept: no wait in this folder may be longer. The brand is what templates
 * read as {{brand.name}}; emails users can opt out of must carry your postal address (the compliance lint checks).
 */
export default settings({ retention: '30d', brand: { name: 'Your company', postalAddress: 'Your postal address' } });
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
  email: {
    subject: 'Welcome, {{first_name}}',
    text: \`Hi {{first_name}}, thanks for signing up.

Unsubscribe: {{unsubscribe_url}}
{{brand.name}}, {{brand.postalAddress}}\`,
  },
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

/** How the team's package manager installs, runs a script quietly, and is made available on a CI runner. */
interface ManagerCommands {
  ciSetup: string[];
  install: string;
  /** A script run quietly (its output is the step's), with arguments passed on to it. */
  run: (script: string, args?: string) => string;
  runHint: (script: string) => string;
}

const MANAGERS: Record<PackageManager, ManagerCommands> = {
  npm: {
    ciSetup: [],
    install: 'npm ci',
    run: (s, args) => `npm run --silent ${s}${args ? ` -- ${args}` : ''}`,
    runHint: (s) => `npm run ${s}`,
  },
  pnpm: {
    ciSetup: ['      - uses: pnpm/action-setup@v4'],
    install: 'pnpm install --frozen-lockfile',
    run: (s, args) => `pnpm --silent run ${s}${args ? ` ${args}` : ''}`,
    runHint: (s) => `pnpm run ${s}`,
  },
  yarn: {
    ciSetup: ['      - run: corepack enable'],
    install: 'yarn install --immutable',
    run: (s, args) => `yarn run ${s}${args ? ` ${args}` : ''}`,
    runHint: (s) => `yarn run ${s}`,
  },
};

/** What to tell the team to run next, in its own package manager's words. */
export function nextSteps(layout: RepositoryLayout): string {
  const m = MANAGERS[layout.manager];
  return `${m.runHint('notifications:check')} && ${m.runHint('notifications:test')}, then ${m.runHint('notifications:dev')}`;
}

/** A GitHub Actions expression, `${{ … }}`, written out by the workflow (not a placeholder of ours). */
const actions = (expression: string) => `\${{ ${expression} }}`;

/** `.github/workflows/notifications.yml` at the repository root; the job runs in the package's folder. */
export function pullRequestWorkflow(layout: RepositoryLayout): ScaffoldFile {
  const m = MANAGERS[layout.manager];
  const inPackage = layout.packagePath ? `${layout.packagePath}/` : '';
  const workingDirectory = layout.packagePath ? ['    defaults:', '      run:', `        working-directory: ${layout.packagePath}`] : [];
  return {
    path: '.github/workflows/notifications.yml',
    text: [
      '# Herald on every pull request: check, test in virtual time, and comment what the change does to users.',
      'name: notifications',
      'on:',
      '  pull_request:',
      `    paths: ['${inPackage}notifications/**']`,
      'permissions:',
      '  contents: read',
      '  pull-requests: write',
      'jobs:',
      '  notifications:',
      '    runs-on: ubuntu-latest',
      ...workingDirectory,
      '    steps:',
      '      - uses: actions/checkout@v4',
      '        with: { fetch-depth: 0 }',
      ...m.ciSetup,
      '      - uses: actions/setup-node@v4',
      `        with: { node-version: 24, cache: ${layout.manager} }`,
      `      - run: ${m.install}`,
      `      - run: ${m.run('notifications:check')}`,
      `      - run: ${m.run('notifications:test')}`,
      `      - run: ${m.run('notifications:diff', `--base origin/${actions('github.base_ref')}`)} > herald-diff.md`,
      `      - run: gh pr comment ${actions('github.event.pull_request.number')} --edit-last --body-file herald-diff.md || gh pr comment ${actions('github.event.pull_request.number')} --body-file herald-diff.md`,
      '        env:',
      `          GH_TOKEN: ${actions('github.token')}`,
      '',
    ].join('\n'),
  };
}

/**
 * `Dockerfile.herald` beside the package: the build stage installs the repository with the team's own package
 * manager and builds the bundle; the runtime stage installs Herald alone (packed from the build stage's copy,
 * so it is the version the lockfile chose, from wherever the team gets it) without its optional compiler
 * tools and embedded database: `herald start` needs neither. Built from the repository root.
 */
export function dockerfile(layout: RepositoryLayout): ScaffoldFile {
  const m = MANAGERS[layout.manager];
  const dir = layout.packagePath || '.';
  const file = `${layout.packagePath ? `${layout.packagePath}/` : ''}Dockerfile.herald`;
  return {
    path: 'Dockerfile.herald',
    text: `# The Herald runtime for this repository's notifications: \`herald start\` on Node 24 with the bundle built in, as a
# non-root user, production dependencies only (no TypeScript compiler, no loader, no test tools).
#   docker build -f ${file} -t herald .        (from the repository root)
#   docker run -e DATABASE_URL=postgres://… -e HERALD_API_KEY=… -p 3000:3000 herald
FROM node:24-bookworm-slim AS build
WORKDIR /repo
${layout.manager === 'npm' ? '' : 'RUN corepack enable\n'}COPY . .
RUN ${m.install}
WORKDIR /repo/${dir === '.' ? '' : dir}
RUN ${m.run('notifications:build')} && mkdir -p /out && cp dist/bundle.json /out/bundle.json \\
 && npm pack --ignore-scripts --pack-destination /out "$(dirname "$(node -p "require.resolve('herald/package.json')")")"

FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production HERALD_HOST=0.0.0.0 PORT=3000
WORKDIR /srv/herald
COPY --from=build /out/ /tmp/herald/
RUN echo '{"private":true}' > package.json \\
 && npm install --omit=dev --omit=optional --omit=peer --no-audit --no-fund /tmp/herald/herald-*.tgz \\
 && cp /tmp/herald/bundle.json bundle.json && rm -rf /tmp/herald /root/.npm
USER node
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \\
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node_modules/.bin/herald"]
CMD ["start", "--bundle", "bundle.json"]
`,
  };
}

/** The scripts `herald init` adds to package.json (an existing script of the same name is kept). */
export const SCRIPTS: Record<string, string> = {
  'notifications:check': 'herald check notifications',
  'notifications:test': 'herald test notifications',
  'notifications:build': 'herald build notifications --out dist/bundle.json',
  'notifications:dev': 'herald dev notifications',
  // The pull-request workflow's comment: `notifications:diff --base origin/main`.
  'notifications:diff': 'herald diff',
};

/**
 * `--infra`: a Pulumi program beside the notifications that deploys them with `herald/infra` (the same
 * component this repository's infra/ uses), building Dockerfile.herald. Its Pulumi packages are the team's:
 * `herald init` says which to add.
 */
export function infraProgram(layout: RepositoryLayout): ScaffoldFile[] {
  const project = `${(layout.packageName ?? 'notifications').replace(/^@/, '').replace(/[^A-Za-z0-9_.-]+/g, '-')}-herald`;
  return [
    {
      path: 'infra/Pulumi.yaml',
      text: `name: ${project}
description: Herald on AWS for this repository's notifications (ECS Fargate, RDS PostgreSQL, the bundle in S3), from herald/infra
# Node 24 strips the program's types itself (relative imports end in .ts): Pulumi's own ts-node stays off.
runtime:
  name: nodejs
  options:
    typescript: false
    packagemanager: ${layout.manager}
main: index.ts
`,
    },
    {
      path: 'infra/Pulumi.dev.yaml',
      text: `# \`pulumi stack init dev\` picks this up. Every herald:* key and its default is in Herald's infra/README.md.
config:
  aws:region: eu-west-1
  herald:domain: notify.dev.example.com
  herald:hostedZoneId: Z0123456789EXAMPLE
  # Secrets: pulumi config set --secret herald:sendgridApiKey SG.…
`,
    },
    {
      path: 'infra/index.ts',
      text: `/**
 * \`pulumi up\` here deploys Herald with this repository's notifications: the image from ../Dockerfile.herald
 * (the bundle built into it and uploaded beside it), settings from the stack's config (Pulumi.<stack>.yaml).
 * Build the bundle first: ${MANAGERS[layout.manager].runHint('notifications:build')}
 */
import { fileURLToPath } from 'node:url';
import * as pulumi from '@pulumi/pulumi';
import { Herald, PACKAGE_LAYOUT, readSettings } from 'herald/infra';

const root = fileURLToPath(new URL('..', import.meta.url)).replace(/\\/$/, '');
${
  layout.packagePath
    ? `const settings = readSettings(new pulumi.Config('herald'), pulumi.getStack(), root, PACKAGE_LAYOUT);
// The image builds from the repository root, where the workspace's lockfile is.
const repositoryRoot = fileURLToPath(new URL('${'../'.repeat(layout.packagePath.split('/').length + 1)}', import.meta.url)).replace(/\\/$/, '');
const herald = new Herald('herald', { ...settings, image: { ...settings.image, context: repositoryRoot, dockerfile: \`\${root}/Dockerfile.herald\` } });`
    : `const herald = new Herald('herald', readSettings(new pulumi.Config('herald'), pulumi.getStack(), root, PACKAGE_LAYOUT));`
}

export const url = herald.url;
export const bundleVersion = herald.bundleVersion;
export const imageRepository = herald.repositoryUrl;
export const apiKeySecret = herald.apiKeySecretName;
export const unsetSecrets = herald.unsetSecrets;
`,
    },
  ];
}

/** The Pulumi packages the infra program imports (herald/infra's optional peers). */
export const INFRA_PACKAGES = ['@pulumi/pulumi', '@pulumi/aws', '@pulumi/random', '@pulumi/docker-build'];
