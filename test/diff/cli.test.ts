/**
 * `herald diff` as CI runs it: a real process comparing bundle files, folders and git refs, its exit codes,
 * and its clean-up (no temporary folders or worktrees left behind). Git refs are exercised in a throwaway
 * repository made here, never in this one.
 */
import { execFile, execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProject } from '../../compiler/build.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'compiler/cli/herald.js');
const fixture = (name: string, side: 'before' | 'after') => join(root, 'test/diff/fixtures', name, side);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function herald(args: string[], cwd = root, env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { cwd, env: { ...process.env, GITHUB_ACTIONS: '', ...env } }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('herald diff on bundle files and folders', () => {
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'herald-diff-cli-'));
    const builds = ['timeout-changed', 'step-removed'].flatMap((name) =>
      (['before', 'after'] as const).map(async (side) => {
        const result = await buildProject(fixture(name, side), { cwd: root, skipTypeCheck: true });
        writeFileSync(join(dir, `${name === 'timeout-changed' ? '' : `${name}-`}${side}.json`), JSON.stringify(result.bundle));
      }),
    );
    await Promise.all(builds);
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints the Markdown of two bundle files, the same as the golden file', async () => {
    const run = await herald(['diff', join(dir, 'before.json'), join(dir, 'after.json')]);
    expect(run.code).toBe(0);
    const expected = readFileSync(join(root, 'test/diff/fixtures/timeout-changed/expected.md'), 'utf8');
    const label = `\`${join(dir, 'before.json')}\` → \`${join(dir, 'after.json')}\``;
    expect(run.stdout).toBe(expected.replace('`before` → `after`', label));
  });

  it('exits 0 on breaking changes, 1 with --fail-on-breaking', async () => {
    const args = ['diff', join(dir, 'step-removed-before.json'), join(dir, 'step-removed-after.json')];
    const plain = await herald(args);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toContain('[!CAUTION]');
    const strict = await herald([...args, '--fail-on-breaking']);
    expect(strict.code).toBe(1);
    const harmless = await herald(['diff', join(dir, 'before.json'), join(dir, 'after.json'), '--fail-on-breaking']);
    expect(harmless.code).toBe(0);
  }, 60_000);

  it('compiles folders given as sides, and prints machine-readable changes with --json', async () => {
    const run = await herald(['diff', fixture('required-event-field', 'before'), fixture('required-event-field', 'after'), '--json']);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as {
      breaking: number;
      resubscribe: number;
      flags: { rule: string; path?: string }[];
      events: { changed: { id: string }[] };
    };
    expect(report.breaking).toBe(1);
    expect(report.resubscribe).toBe(0);
    expect(report.flags).toMatchObject([{ rule: 'event-required-field', path: 'fields.company' }]);
    expect(report.events.changed.map((e) => e.id)).toEqual(['trial_started']);
  }, 60_000);

  it('refuses a file that is not a bundle, and a base given twice (exit 2)', async () => {
    writeFileSync(join(dir, 'junk.json'), '{"formatVersion": 1}');
    const junk = await herald(['diff', join(dir, 'junk.json'), join(dir, 'after.json')]);
    expect(junk.code).toBe(2);
    expect(junk.stderr).toContain('is not a Herald bundle');
    const twice = await herald(['diff', join(dir, 'before.json'), join(dir, 'after.json'), '--base', 'main']);
    expect(twice.code).toBe(2);
  });

  it('exits 1 and shows the diagnostics when a side does not compile', async () => {
    const run = await herald(['diff', join(root, 'test/fixtures/unknown-reference'), join(dir, 'after.json')]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('does not compile');
    expect(run.stderr).toContain('unknown-reference');
  }, 30_000);
});

describe('herald diff on git refs', () => {
  let repo: string;
  let scratch: string;
  const git = (...args: string[]) =>
    execFileSync('git', args, {
      cwd: repo,
      env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com' },
    }).toString();

  beforeAll(() => {
    repo = mkdtempSync(join(tmpdir(), 'herald-diff-repo-'));
    // The temporary folders of the command under test go here, so the test can see they are removed.
    scratch = mkdtempSync(join(tmpdir(), 'herald-diff-scratch-'));
    git('init', '-q', '-b', 'main');
    writeFileSync(join(repo, 'README.md'), 'no notifications yet\n');
    writeFileSync(join(repo, '.gitignore'), 'node_modules\n');
    git('add', '-A');
    git('commit', '-qm', 'empty');
    cpSync(fixture('step-removed', 'before'), join(repo, 'notifications'), { recursive: true });
    git('add', '-A');
    git('commit', '-qm', 'notifications');
    cpSync(fixture('step-removed', 'after'), join(repo, 'notifications'), { recursive: true });
    git('commit', '-qam', 'remove the sms nudge');
    // The working tree compiles in place, as in a team's repository where herald is installed.
    mkdirSync(join(repo, 'node_modules'));
    symlinkSync(root, join(repo, 'node_modules', 'herald'), 'junction');
    cpSync(fixture('timeout-changed', 'after'), join(repo, 'notifications'), { recursive: true });
  });

  afterAll(() => {
    rmSync(repo, { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  });

  const inRepo = (args: string[]) => herald(args, repo, { TMPDIR: scratch, TMP: scratch, TEMP: scratch });

  it('compiles two refs and flags the removed step', async () => {
    const run = await inRepo(['diff', '--base', 'HEAD~1', 'HEAD', '--fail-on-breaking']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('`HEAD~1` → `HEAD`');
    expect(run.stdout).toContain('- send `nudge-sms` removed from `follow-up` › otherwise — ⚠️ **breaking**');
  }, 60_000);

  it('compares the working tree with a ref (HEAD by default)', async () => {
    const run = await inRepo(['diff']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('`HEAD` → `working tree`');
    expect(run.stdout).toContain('- wait `welcome-opened`: timeout 2h → 3h');
    expect(run.stdout).toContain('- send `nudge-sms` added in `follow-up` › otherwise');
  }, 60_000);

  it('shows everything as added against a ref from before the folder existed', async () => {
    const run = await inRepo(['diff', '--base', 'HEAD~2', '--json']);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as { workflows: { added: { id: string }[] }; flags: { kind: string }[] };
    expect(report.workflows.added.map((w) => w.id)).toEqual(['onboarding']);
    // Nothing breaks when everything is new; the compliance lint still flags what the new email lacks (its footer).
    expect(report.flags.filter((f) => f.kind !== 'compliance')).toEqual([]);
  }, 60_000);

  it('says how to fetch a ref it cannot find (exit 2)', async () => {
    const run = await inRepo(['diff', '--base', 'origin/main']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('"origin/main" is not a commit');
  });

  it('leaves no temporary folder, worktree or change behind', () => {
    // (tsx keeps its own cache there; the command's folders are named herald-diff-*.)
    expect(readdirSync(scratch).filter((name) => name.startsWith('herald-diff-'))).toEqual([]);
    expect(git('worktree', 'list').trim().split('\n')).toHaveLength(1);
    expect(git('status', '--porcelain')).toBe(' M notifications/index.ts\n');
  });
});
