/**
 * As root, the embedded PostgreSQL runs as the `postgres` user. Started from a folder that user cannot
 * reach (a home directory of mode 700), `herald start` and `herald dev` (what `npm start` runs) say so and
 * what to set instead, exit 1, and print no stack trace. Only meaningful as root, which is how this
 * suite runs in CI and containers.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../compiler/bundle/canonical.ts';
import { checkEmbeddedAccess } from '../../runtime/db/embedded-access.ts';
import { exampleBundle } from './harness.ts';

const bin = fileURLToPath(new URL('../../compiler/cli/herald.js', import.meta.url));
const root = fileURLToPath(new URL('../../', import.meta.url));

/** A folder of mode 700 owned by root: what `postgres` meets in /root or a private home directory. */
function privateFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'herald-private-'));
  chmodSync(dir, 0o700);
  return dir;
}

function run(args: string[], dataDir: string): Promise<{ code: number | null; out: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, HERALD_DATA_DIR: dataDir, PORT: '0' };
  delete env.DATABASE_URL;
  const child = spawn(process.execPath, [bin, ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, out })));
}

function expectClearRefusal(result: { code: number | null; out: string }, dataDir: string) {
  expect(result.out).toContain('the embedded PostgreSQL runs as the system user "postgres"');
  expect(result.out).toContain(`cannot read and write the data folder ${dataDir}/pg`);
  expect(result.out).toMatch(/is mode 700/);
  expect(result.out).toContain('set HERALD_DATA_DIR to a folder that user can reach, e.g. HERALD_DATA_DIR=/tmp/herald, or set DATABASE_URL');
  // No stack trace, no raw errno.
  expect(result.out).not.toMatch(/\n\s+at |EACCES|internal error/);
  expect(result.code).toBe(1);
}

describe.runIf(process.getuid?.() === 0)('as root, with a data folder the postgres user cannot reach', () => {
  it('herald start says what to set instead, and exits 1', async () => {
    const bundlePath = join(mkdtempSync(join(tmpdir(), 'herald-access-')), 'bundle.json');
    writeFileSync(bundlePath, canonicalJson(await exampleBundle()));
    const dataDir = join(privateFolder(), 'data');
    expectClearRefusal(await run(['start', '--bundle', bundlePath], dataDir), dataDir);
  }, 60_000);

  it('herald dev (npm start) builds, then says the same and exits 1', async () => {
    const folder = privateFolder();
    const dataDir = join(folder, '.herald');
    expectClearRefusal(
      await run(['dev', 'test/fixtures/valid', '--out', join(mkdtempSync(join(tmpdir(), 'herald-access-')), 'bundle.json')], dataDir),
      dataDir,
    );
  }, 120_000);

  it('names the binaries when the project itself is out of reach', () => {
    const initdb = join(privateFolder(), 'node_modules', 'bin', 'initdb');
    mkdirSync(join(initdb, '..'), { recursive: true });
    writeFileSync(initdb, '', { mode: 0o755 });
    const reachable = mkdtempSync(join(tmpdir(), 'herald-access-'));
    chmodSync(reachable, 0o755);
    expect(() => checkEmbeddedAccess(join(reachable, 'pg'), initdb)).toThrow(
      /cannot run PostgreSQL's binaries in .*node_modules\/bin: .* is mode 700[\s\S]*Fix: put the project in a folder that user can reach/,
    );
  });
});
