/**
 * The database's own write limit, as a ceiling for the end-to-end figures: pgbench's TPC-B-like write
 * transaction without the branch/teller updates (`-N`: an UPDATE, a SELECT and an INSERT, one commit) on a
 * scratch database of the same server. Herald's trigger is one such commit, and its job another. pgbench
 * comes with PostgreSQL's client tools; where it is not installed the figure is null, with the reason.
 */
import { spawn } from 'node:child_process';
import { createDatabase, dropDatabase } from './setup.ts';

export type PgbenchFigures =
  | { tps: number; clients: number; threads: number; seconds: number; scale: number; mode: 'simple-update (-N)'; version: string }
  | { tps: null; reason: string };

const DATABASE = 'herald_bench_pgbench';
const CLIENTS = 8;
const THREADS = 2;
const SCALE = 10;

/** host, port, user and password of a postgres:// URL as pgbench's flags and PGPASSWORD (`?host=` is a socket folder). */
function connection(url: string) {
  const parsed = new URL(url);
  const host = parsed.searchParams.get('host') ?? parsed.hostname;
  const args = ['-h', host, '-p', parsed.port || '5432', '-U', decodeURIComponent(parsed.username || 'postgres')];
  return { args, env: { ...process.env, PGPASSWORD: decodeURIComponent(parsed.password) } };
}

/**
 * Runs pgbench without blocking the event loop: the embedded server's log pipe is read by this process and
 * must not fill up while pgbench runs.
 */
function run(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ status: number | null; stdout: string; stderr: string; missing: boolean }> {
  return new Promise((resolve) => {
    const child = spawn('pgbench', args, { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('error', () => resolve({ status: null, stdout, stderr, missing: true }));
    child.once('close', (status) => resolve({ status, stdout, stderr, missing: false }));
  });
}

export async function pgbench(admin: string, options: { seconds: number }): Promise<PgbenchFigures> {
  const which = await run(['--version']);
  if (which.missing || which.status !== 0) return { tps: null, reason: 'pgbench is not installed (it comes with the PostgreSQL client tools)' };
  const version = which.stdout.trim();
  await createDatabase(admin, DATABASE);
  try {
    const { args, env } = connection(admin);
    const init = await run(['-i', '-q', '-s', String(SCALE), ...args, DATABASE], env);
    if (init.status !== 0) return { tps: null, reason: `pgbench -i failed: ${(init.stderr || init.stdout).trim().slice(-300)}` };
    const test = await run(['-N', '-c', String(CLIENTS), '-j', String(THREADS), '-T', String(options.seconds), ...args, DATABASE], env);
    const tps = /tps = ([\d.]+)/.exec(test.stdout)?.[1];
    if (test.status !== 0 || !tps) return { tps: null, reason: `pgbench failed: ${(test.stderr || test.stdout).trim().slice(-300)}` };
    return { tps: Math.round(Number(tps)), clients: CLIENTS, threads: THREADS, seconds: options.seconds, scale: SCALE, mode: 'simple-update (-N)', version };
  } finally {
    await dropDatabase(admin, DATABASE);
  }
}

// `npx tsx bench/pgbench.ts [--quick]` runs it alone.
if (import.meta.url === `file://${process.argv[1]}`) {
  const { benchPostgres, stopBenchPostgres } = await import('./setup.ts');
  const postgres = await benchPostgres();
  process.stdout.write(`${JSON.stringify(await pgbench(postgres.admin, { seconds: process.argv.includes('--quick') ? 5 : 10 }), null, 2)}\n`);
  await stopBenchPostgres();
}
