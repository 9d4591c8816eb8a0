/**
 * `npm start` (npm → sh → `herald dev` → embedded PostgreSQL) stopped with `kill -TERM <npm's pid>` leaves
 * no process behind: the shell between npm and the runtime passes no signal on, so the runtime notices
 * that it was orphaned and drains (runtime/parent-watch.ts).
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { eventually } from './harness.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** Every live descendant of `pid`, from /proc (field 4 of /proc/<pid>/stat is the parent's pid). */
function descendants(pid: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The command name (field 2) may hold spaces and parentheses: read after its closing one.
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // It exited while we looked.
    }
  }
  const found: number[] = [];
  const visit = (parent: number) => {
    for (const [child, ppid] of parents) if (ppid === parent) found.push(child), visit(child);
  };
  visit(pid);
  return found;
}

/** Alive and not a zombie waiting to be reaped. */
const alive = (pid: number) => existsSync(`/proc/${pid}`) && !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));

let leftovers: number[] = [];
afterEach(() => {
  // Only the processes this test started, by pid, should it have failed.
  for (const pid of leftovers) if (alive(pid)) process.kill(pid, 'SIGKILL');
  leftovers = [];
});

it.runIf(process.platform === 'linux')(
  'kill -TERM of npm start stops the whole tree: runtime and embedded PostgreSQL',
  async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'herald-npm-start-'));
    // mkdtemp makes it 700: as root, the embedded PostgreSQL's own user must be able to enter it.
    chmodSync(tmp, 0o755);
    const env: NodeJS.ProcessEnv = { ...process.env, HERALD_DATA_DIR: join(tmp, 'data'), PORT: '0' };
    delete env.DATABASE_URL;
    const npm = spawn('npm', ['start', '--', 'test/fixtures/valid', '--out', join(tmp, 'bundle.json')], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    npm.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    npm.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const npmExited = new Promise<void>((resolve) => npm.on('exit', () => resolve()));

    await eventually('the banner', async () => out.includes('Herald is running'), 150_000).catch((error: Error) => {
      throw new Error(`${error.message}\n${out}`);
    });
    const tree = descendants(npm.pid!);
    leftovers = [npm.pid!, ...tree];
    // The runtime and its database are in the tree: node running herald, and postgres.
    const commands = tree.map((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' '));
    expect(commands.some((c) => c.includes('herald.js dev'))).toBe(true);
    expect(commands.some((c) => /bin\/postgres -D/.test(c))).toBe(true);

    process.kill(npm.pid!, 'SIGTERM');
    await npmExited;
    await eventually('every process of the tree to exit', async () => tree.every((pid) => !alive(pid)), 60_000).catch((error: Error) => {
      const left = tree.filter(alive).map((pid) => `${pid}: ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ')}`);
      throw new Error(`${error.message}; still running:\n${left.join('\n')}\n${out}`);
    });
    expect(out).toContain('exited: draining in-flight jobs');
  },
  240_000,
);
