/**
 * `herald test` as a user runs it: a real child process on the example folder, and on a copy of it (in a
 * temp dir, with `herald` installed as a symlink, as a team's project would have it) with a scenario that
 * fails on purpose.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'compiler/cli/herald.js');

function herald(args: string[], cwd = root) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, [bin, ...args], { cwd, env: { ...process.env, GITHUB_ACTIONS: '' } }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const FAILING = `import { expect, scenario } from 'herald/testing';

scenario('idle user is nudged in the app (wrong on purpose)', { workflow: 'onboarding', user: { email: 'idle@example.com', phone_number: '+15555550100' } }, (sim) => {
  sim.advance('2h');
  expect(sim.sent()).toMatchObject([{ step: 'welcome' }, { step: 'nudge-inapp', channel: 'inapp' }]);
});
`;

let project: string;

beforeAll(() => {
  project = mkdtempSync(join(tmpdir(), 'herald-scenarios-'));
  cpSync(join(root, 'notifications'), join(project, 'notifications'), { recursive: true });
  mkdirSync(join(project, 'node_modules'));
  symlinkSync(root, join(project, 'node_modules', 'herald'), 'dir');
  writeFileSync(join(project, 'notifications', 'scenarios', 'broken.scenario.ts'), FAILING);
});
afterAll(() => {
  if (project) rmSync(project, { recursive: true, force: true });
});

describe('herald test', () => {
  it('runs every scenario of the example folder and exits 0', async () => {
    const run = await herald(['test']);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain('✓ onboarding: unopened welcome → SMS at +2h [onboarding]');
    expect(run.stdout).toContain('✓ cart recovery: checkout of the cart before the reminder → nothing is sent [cart-recovery]');
    expect(run.stdout).toMatch(/✓ \d+ passed \(\d+ scenarios\)/);
    expect(run.stdout).not.toContain('✗');
  }, 90_000);

  it('exits 1 on a failing scenario and shows its name, the expected and actual values and the timeline', async () => {
    const run = await herald(['test', 'notifications'], project);
    expect(run.code, run.stderr).toBe(1);
    const out = run.stdout;
    expect(out).toContain('✗ idle user is nudged in the app (wrong on purpose) [onboarding]');
    expect(out).toContain('── idle user is nudged in the app (wrong on purpose) ──');
    expect(out).toContain('notifications/scenarios/broken.scenario.ts:5');
    expect(out).toContain('at [1].step: expected "nudge-inapp", received "nudge-sms"');
    expect(out).toMatch(/expected:\n\s+\[\n\s+\{"step":"welcome"\},\n\s+\{"step":"nudge-inapp","channel":"inapp"\},/);
    expect(out).toMatch(/actual:\n\s+\[\n\s+\{"step":"welcome"\},\n\s+\{"step":"nudge-sms","channel":"sms"\},/);
    expect(out).toContain('+2h   follow-up: took otherwise');
    expect(out).toContain('+2h   nudge-sms: sms sent (onboarding-welcome via twilio)');
    // The other scenarios of the copy still ran and passed.
    expect(out).toContain('✓ onboarding: welcome opened → next-steps email at once');
    expect(out).toMatch(/✗ \d+ passed, 1 failed/);
  }, 90_000);

  it('prints machine-readable results with --json', async () => {
    const run = await herald(['test', 'notifications', '--json'], project);
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as {
      ok: boolean;
      failed: number;
      scenarios: { name: string; ok: boolean; failure?: { expected?: string }; timeline: string[] }[];
    };
    expect(report.ok).toBe(false);
    expect(report.failed).toBe(1);
    const broken = report.scenarios.find((s) => !s.ok)!;
    expect(broken.name).toBe('idle user is nudged in the app (wrong on purpose)');
    expect(broken.failure?.expected).toContain('nudge-inapp');
    expect(broken.timeline.length).toBeGreaterThan(3);
  }, 90_000);

  it('exits 1 when the folder does not compile, 2 on bad usage', async () => {
    const broken = await herald(['test', 'test/fixtures/ts-error']);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain('does not compile: no scenario ran');
    const missing = await herald(['test', 'no/such/folder']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('"no/such/folder" is not a folder');
  }, 90_000);
});
