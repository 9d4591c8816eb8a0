/**
 * `herald init` in an existing repository: the scaffold passes `herald check` and `herald test` as written
 * (with Herald installed as a dependency: here a link to this checkout), scripts join package.json beside the
 * team's own, and no file is ever overwritten — a second run writes nothing.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'compiler/cli/herald.js');
const repo = mkdtempSync(join(tmpdir(), 'herald-init-'));
afterAll(() => rmSync(repo, { recursive: true, force: true }));
const herald = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { cwd: repo, encoding: 'utf8', timeout: 120_000 });

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
