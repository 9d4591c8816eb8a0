/** The `herald` CLI as a user runs it: a real child process, exit codes, --json, GitHub annotations. */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { bundleSchema } from '../../compiler/bundle/schema.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'compiler/cli/herald.js');

function herald(args: string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, [bin, ...args], { cwd: root, env: { ...process.env, GITHUB_ACTIONS: '', ...env } }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('herald CLI', () => {
  it('builds a valid tree to --out and exits 0', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'herald-')), 'bundle.json');
    const run = await herald(['build', 'test/fixtures/valid', '--out', out]);
    expect(run.stderr).toContain('wrote');
    expect(run.code).toBe(0);
    const bundle = bundleSchema.parse(JSON.parse(readFileSync(out, 'utf8')));
    expect(Object.keys(bundle.workflows)).toEqual(['onboarding']);
  });

  it('exits 1 with file:line:col, the source line and a hint on a broken tree', async () => {
    const run = await herald(['check', 'test/fixtures/template-unknown-variable']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('test/fixtures/template-unknown-variable/index.ts:7:');
    expect(run.stderr).toContain("sms: { body: 'Hi {{frist_name}}");
    expect(run.stderr).toContain('did you mean "first_name"?');
  });

  it('prints machine-readable diagnostics with --json', async () => {
    const run = await herald(['check', 'test/fixtures/unknown-reference', '--json']);
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as { ok: boolean; diagnostics: { code: string; file: string; line: number }[] };
    expect(report.ok).toBe(false);
    expect(report.diagnostics.map((d) => d.code)).toContain('unknown-reference');
    expect(report.diagnostics.every((d) => d.file === 'test/fixtures/unknown-reference/index.ts')).toBe(true);
  });

  it('prints GitHub workflow annotations under GITHUB_ACTIONS=true', async () => {
    const run = await herald(['check', 'test/fixtures/template-unknown-variable'], { GITHUB_ACTIONS: 'true' });
    expect(run.stdout).toMatch(/^::error file=test\/fixtures\/template-unknown-variable\/index\.ts,line=7,col=\d+,title=template-unknown-variable::/m);
  });

  it('exits 2 on bad usage: an unknown verb, an unknown flag, a missing folder', async () => {
    expect((await herald(['compile'])).code).toBe(2);
    expect((await herald(['check', '--frobnicate'])).code).toBe(2);
    const missing = await herald(['check', 'no/such/folder']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('"no/such/folder" is not a folder');
  });
});
