/**
 * Random kill -9 under 200 triggers/s, with and without send receipts: the fault suite's case (e)
 * (test/faults/kill.test.ts, "random kill -9 at 200 triggers/s"), run as it is — its supervisor, feeder and
 * tally live in the suite (test/faults/kill-support.ts and the case itself), and are not copied here. The
 * suite runs in a child process against this bench's PostgreSQL (DATABASE_URL), prints each half's figure
 * (`fault figure <case>: {…}`), read from its output; the suite's own record of the case
 * (test/artifacts/faults/kill-random-*.json, which docs/reliability.md is filled in from) is put back as it
 * was. About five minutes: two halves of 30 kills each, then the settling of the work left.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const root = fileURLToPath(new URL('..', import.meta.url));
const CASE = 'random kill';
const FIGURE = /^fault figure (kill-random-[a-z-]+): (\{.*\})$/gm;
const ARTIFACTS = ['kill-random-receipts', 'kill-random-no-receipts'].map((name) => join(root, 'test', 'artifacts', 'faults', `${name}.json`));

export interface KillFigures {
  command: string;
  /** The case's own verdict (its assertions: nothing lost, receipts at least halve the duplicates). */
  passed: boolean;
  seconds: number;
  withReceipts: Record<string, unknown> | null;
  withoutReceipts: Record<string, unknown> | null;
  /** Duplicates a kill, with receipts over without (lower is better). */
  duplicatesRatio: number | null;
  /** The end of the suite's output when it failed. */
  outputTail?: string;
}

async function faultDatabases(admin: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string }>(`SELECT datname AS name FROM pg_database WHERE datname LIKE 'herald_fault_kill_random%'`);
    return rows.map((r) => r.name);
  } finally {
    await client.end();
  }
}

/** The suite's figure files as they are now; the returned function puts them back (removes those that were not there). */
function keepArtifacts(): () => void {
  const kept = ARTIFACTS.map((path) => ({ path, text: existsSync(path) ? readFileSync(path, 'utf8') : null }));
  return () => {
    for (const { path, text } of kept) {
      if (text === null) rmSync(path, { force: true });
      else writeFileSync(path, text);
    }
  };
}

/** The suite leaves each case's database for inspection: those this run made are dropped. */
async function dropNew(admin: string, before: string[]): Promise<void> {
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  try {
    for (const name of await faultDatabases(admin)) if (!before.includes(name)) await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

export async function randomKills(admin: string): Promise<KillFigures> {
  const vitest = join(dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs');
  const args = ['run', '--config', 'vitest.faults.config.ts', 'test/faults/kill.test.ts', '-t', CASE];
  const before = await faultDatabases(admin);
  const restore = keepArtifacts();
  const t0 = performance.now();
  const child = spawn(process.execPath, [vitest, ...args], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: admin, NO_COLOR: '1', FORCE_COLOR: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  restore();
  await dropNew(admin, before);
  const figures = new Map<string, Record<string, unknown>>();
  for (const match of output.matchAll(FIGURE)) figures.set(match[1]!, JSON.parse(match[2]!) as Record<string, unknown>);
  const withReceipts = figures.get('kill-random-receipts') ?? null;
  const withoutReceipts = figures.get('kill-random-no-receipts') ?? null;
  const perKill = (f: Record<string, unknown> | null) => (typeof f?.duplicatesPerKill === 'number' ? f.duplicatesPerKill : null);
  const a = perKill(withReceipts);
  const b = perKill(withoutReceipts);
  return {
    command: `vitest ${args.join(' ')} (npm run test:faults -- kill -t "${CASE}")`,
    passed: code === 0,
    seconds: Math.round((performance.now() - t0) / 1000),
    withReceipts,
    withoutReceipts,
    duplicatesRatio: a !== null && b ? +(a / b).toFixed(2) : null,
    ...(code === 0 ? {} : { outputTail: output.slice(-4_000) }),
  };
}
