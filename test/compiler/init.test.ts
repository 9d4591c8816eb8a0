/**
 * `herald init` in an existing repository: the scaffold passes `herald check` and `herald test` as written
 * (with Herald installed as a dependency: here a link to this checkout), scripts join package.json beside the
 * team's own, and no file is ever overwritten — a second run writes nothing.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { heraldBin } from '../../compiler/installation.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const repo = mkdtempSync(join(tmpdir(), 'herald-init-'));
afterAll(() => rmSync(repo, { recursive: true, force: true }));
const herald = (...args: string[]) => spawnSync(process.execPath, [heraldBin, ...args], { cwd: repo, encoding: 'utf8', timeout: 120_000 });

it('scaffolds a repository that checks and tests green, keeps what the team had, and never overwrites', () => {
  writeFileSync(
    join(repo, 'package.json'),
    `${JSON.stringify({ name: 'acme-app', private: true, type: 'module', scripts: { test: 'vitest', 'notifications:check': 'custom' } }, null, 2)}\n`,
  );
  writeFileSync(join(repo, 'Dockerfile.herald'), '# ours\n');
  mkdirSync(join(repo, 'node_modules'));
  symlinkSync(root, join(repo, 'node_modules', 'herald'), 'dir');

  const init = herald('init', '.', '--json');
  expect(init.status, init.stderr).toBe(0);
  const first = JSON.parse(init.stdout) as { written: string[]; skipped: { path: string; why: string }[] };
  expect(first.written).toEqual(
    expect.arrayContaining(['notifications/workflows/welcome.ts', 'notifications/scenarios/welcome.scenario.ts', '.github/workflows/notifications.yml']),
  );
  expect(first.skipped).toEqual([
    { path: 'Dockerfile.herald', why: 'exists (left as it is)' },
    { path: 'package.json scripts.notifications:check', why: 'exists (left as it is)' },
  ]);
  expect(readFileSync(join(repo, 'Dockerfile.herald'), 'utf8')).toBe('# ours\n');
  expect(JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8'))).toMatchObject({
    name: 'acme-app',
    scripts: {
      test: 'vitest',
      'notifications:check': 'custom',
      'notifications:test': 'herald test notifications',
      'notifications:build': 'herald build notifications --out dist/bundle.json',
    },
  });

  const check = herald('check', 'notifications');
  expect(check.status, check.stdout + check.stderr).toBe(0);
  // A fresh project passes the compliance lint too: its email carries the unsubscribe link and the address.
  expect(check.stderr).not.toContain('warning');
  const test = herald('test', 'notifications');
  expect(test.status, test.stdout + test.stderr).toBe(0);
  expect(test.stdout).toMatch(/1 passed/);

  const again = herald('init', '.', '--json');
  expect(JSON.parse(again.stdout).written).toEqual([]);
});

it('refuses a folder that does not exist (exit 2)', () => {
  const run = herald('init', join(repo, 'nowhere'));
  expect(run.status).toBe(2);
  expect(run.stderr).toMatch(/no such folder/);
});

it('refuses a package.json that is not JSON (exit 2, what and how to fix), writing nothing', () => {
  const broken = mkdtempSync(join(tmpdir(), 'herald-init-broken-'));
  try {
    writeFileSync(join(broken, 'package.json'), '{ "name": "acme", }\n');
    const run = herald('init', broken);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/package\.json is not valid JSON .*: fix it, then run herald init again/);
    expect(run.stderr).not.toMatch(/internal error|\n\s+at /);
    expect(existsSync(join(broken, 'notifications'))).toBe(false);
  } finally {
    rmSync(broken, { recursive: true, force: true });
  }
});

describe('in a workspace', () => {
  /** A monorepo: a git root holding the workspace, and an empty package for the notifications. */
  function monorepo(files: Record<string, string>): string {
    const dir = mkdtempSync(join(tmpdir(), 'herald-init-ws-'));
    mkdirSync(join(dir, '.git'));
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    return dir;
  }
  const pkg = JSON.stringify({ name: '@acme/notifications', private: true, type: 'module' });
  /** A GitHub Actions expression as the workflow holds it. */
  const baseRef = `$${'{{ github.base_ref }}'}`;
  const layouts = [
    {
      manager: 'npm',
      files: { 'package.json': JSON.stringify({ name: 'acme', private: true, workspaces: ['packages/*'] }), 'package-lock.json': '{}' },
      commands: ['npm ci', 'npm run --silent notifications:check', `npm run --silent notifications:diff -- --base origin/${baseRef} > herald-diff.md`],
    },
    {
      manager: 'pnpm',
      files: { 'package.json': JSON.stringify({ name: 'acme', private: true }), 'pnpm-workspace.yaml': "packages:\n  - 'packages/*'\n" },
      commands: [
        'uses: pnpm/action-setup@v4',
        'pnpm install --frozen-lockfile',
        'pnpm --silent run notifications:test',
        `pnpm --silent run notifications:diff --base origin/${baseRef} > herald-diff.md`,
      ],
    },
    {
      manager: 'yarn',
      files: { 'package.json': JSON.stringify({ name: 'acme', private: true, workspaces: ['packages/*'], packageManager: 'yarn@4.18.1' }), 'yarn.lock': '' },
      commands: ['run: corepack enable', 'yarn install --immutable', 'yarn run notifications:check'],
    },
  ] as const;

  for (const layout of layouts) {
    it(`${layout.manager}: the package gets the notifications and scripts, the workspace root gets the workflow, in ${layout.manager}'s commands`, () => {
      const dir = monorepo({ ...layout.files, 'packages/notifications/package.json': pkg });
      try {
        const run = herald('init', join(dir, 'packages/notifications'), '--json');
        expect(run.status, run.stderr).toBe(0);
        const report = JSON.parse(run.stdout) as {
          written: string[];
          layout: { root: string; package: string; manager: string; workspace: boolean };
          notes: string[];
        };
        expect(report.layout).toEqual({ root: dir, package: 'packages/notifications', manager: layout.manager, workspace: true });
        expect(existsSync(join(dir, 'packages/notifications/notifications/workflows/welcome.ts'))).toBe(true);
        expect(existsSync(join(dir, 'packages/notifications/Dockerfile.herald'))).toBe(true);
        expect(existsSync(join(dir, 'packages/notifications/.github'))).toBe(false);
        const workflow = readFileSync(join(dir, '.github/workflows/notifications.yml'), 'utf8');
        expect(workflow).toContain('working-directory: packages/notifications');
        expect(workflow).toContain("paths: ['packages/notifications/notifications/**']");
        for (const command of layout.commands) expect(workflow).toContain(command);
        expect(JSON.parse(readFileSync(join(dir, 'packages/notifications/package.json'), 'utf8')).scripts).toMatchObject({
          'notifications:check': 'herald check notifications',
          'notifications:diff': 'herald diff',
        });
        expect(readFileSync(join(dir, 'packages/notifications/Dockerfile.herald'), 'utf8')).toContain(
          'docker build -f packages/notifications/Dockerfile.herald',
        );
        expect(report.notes.at(-1)).toContain(`${layout.manager} run notifications:check`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  it("yarn with Plug'n'Play: says that Herald needs node_modules", () => {
    const dir = monorepo({
      'package.json': JSON.stringify({ name: 'acme', workspaces: ['packages/*'] }),
      '.yarnrc.yml': 'enableTelemetry: false\n',
      'packages/n/package.json': pkg,
    });
    try {
      const run = herald('init', join(dir, 'packages/n'), '--json');
      expect(JSON.parse(run.stdout).notes).toEqual(expect.arrayContaining([expect.stringContaining('nodeLinker: node-modules')]));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

it('--infra: a Pulumi program on herald/infra that type-checks against the component', () => {
  const dir = mkdtempSync(join(tmpdir(), 'herald-init-infra-'));
  try {
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'acme', private: true, type: 'module' }));
    const run = herald('init', dir, '--infra', '--json');
    expect(run.status, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as { written: string[]; notes: string[] };
    expect(report.written).toEqual(expect.arrayContaining(['infra/index.ts', 'infra/Pulumi.yaml', 'infra/Pulumi.dev.yaml']));
    expect(report.notes).toEqual(expect.arrayContaining([expect.stringContaining('@pulumi/pulumi @pulumi/aws')]));
    expect(readFileSync(join(dir, 'infra/index.ts'), 'utf8')).toMatch(/from 'herald\/infra'/);
    // Herald and the Pulumi packages as a team would have them (links to this checkout's), then tsc on the program.
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(root, join(dir, 'node_modules', 'herald'), 'dir');
    symlinkSync(join(root, 'node_modules/@pulumi'), join(dir, 'node_modules', '@pulumi'), 'dir');
    symlinkSync(join(root, 'node_modules/@types'), join(dir, 'node_modules', '@types'), 'dir');
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          target: 'ES2023',
          noEmit: true,
          skipLibCheck: true,
          allowImportingTsExtensions: true,
          types: ['node'],
          // The link resolves `herald` to this checkout's sources, as the package's .d.ts would type it.
          customConditions: ['herald-source'],
        },
        include: ['infra'],
      }),
    );
    const tsc = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', dir], { encoding: 'utf8', timeout: 120_000 });
    expect(tsc.status, tsc.stdout + tsc.stderr).toBe(0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);
