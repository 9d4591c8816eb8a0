/**
 * Runtime processes for the end-to-end benchmarks: `herald start` spawned as real processes (N of them sharing
 * one fresh database), the load generator in a worker thread, and a process's resident memory. The bench
 * process itself only generates load, hosts the fake providers and counts: the runtime never shares its
 * event loop.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import pg from 'pg';
import type { Bundle } from '../compiler/bundle/schema.ts';
import { spawnRuntime, writeBundleFile, type RuntimeProcess } from '../test/setup/runtime-process.ts';
import { type Runtime, startRuntime } from '../runtime/server.ts';
import type { Load } from './load.ts';
import { createDatabase, dropDatabase } from './setup.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
export const API_KEY = 'bench-key-0123456789-0123456789-0123456789';
export const SIGNING_SECRET = 'bench-signing-secret-0123456789-0123456789';

export interface Cluster {
  databaseUrl: string;
  /** A connection of the bench's own, for counting rows. */
  db: pg.Client;
  runtimes: RuntimeProcess[];
  urls: string[];
  /** Stops the processes and starts as many fresh ones on the same database (same bundle, same environment). */
  restart(): Promise<void>;
  /** Stops every process, then drops the database. */
  stop(): Promise<void>;
}

export interface ClusterOptions {
  admin: string;
  /** The database's name (fresh: dropped first). */
  name: string;
  bundle: Bundle;
  processes: number;
  /** Environment of each process (provider credentials and URLs, HERALD_WORKERS). */
  env?: Record<string, string>;
  /** Profiles u0 … u<users-1>, created through the first process's API. */
  users?: number;
  profile?: (u: number) => Record<string, unknown>;
}

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const databaseUrl = await createDatabase(options.admin, options.name);
  const bundlePath = writeBundleFile(options.bundle, join(root, 'bench', '.generated', 'bundles'), `${options.name}.json`);
  const runtimes: RuntimeProcess[] = [];
  const db = new pg.Client({ connectionString: databaseUrl });
  const stop = async () => {
    await db.end().catch(() => {});
    await Promise.all(runtimes.map((r) => r.stop()));
    await dropDatabase(options.admin, options.name);
  };
  const urls: string[] = [];
  // The first migrates; the others then start together and find the schema ready.
  const spawnAll = async () => {
    const spawn = () => spawnRuntime({ bundlePath, databaseUrl, apiKey: API_KEY, env: { HERALD_LOG_LEVEL: 'warn', ...options.env } });
    runtimes.push(await spawn());
    const rest = await Promise.allSettled(Array.from({ length: options.processes - 1 }, spawn));
    for (const r of rest) if (r.status === 'fulfilled') runtimes.push(r.value);
    const failed = rest.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    urls.splice(0, urls.length, ...runtimes.map((r) => r.url));
  };
  const restart = async () => {
    await Promise.all(runtimes.splice(0).map((r) => r.stop()));
    await spawnAll();
  };
  try {
    await spawnAll();
    await db.connect();
    const profile = options.profile ?? ((u: number) => ({ email: `u${u}@example.com` }));
    for (let u = 0; u < (options.users ?? 0); u++) await api(urls[0]!, 'PUT', `/v1/users/u${u}`, profile(u));
    return { databaseUrl, db, runtimes, urls, restart, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** One API call with the bench key; throws on an answer outside 2xx. */
export async function api(url: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : null;
}

/** Runs the load generator (bench/load.ts) in a worker thread and waits for its figures. */
export function fireLoad(load: Omit<Load, 'apiKey'>): Promise<{ latencies: number[]; seconds: number }> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./load.ts', import.meta.url), {
      workerData: { apiKey: API_KEY, ...load },
      execArgv: ['--import', import.meta.resolve('tsx')],
    });
    worker.once('message', resolve);
    worker.once('error', reject);
  });
}

/** A process's resident set in MB (Linux /proc), or null where there is no /proc. */
export function rssMb(pid: number): number | null {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Math.round(Number(match[1]) / 102.4) / 10 : null;
  } catch {
    return null;
  }
}

/**
 * CPU time (user + system, ms) a process has used so far (Linux /proc; clock ticks of 10 ms), or null where
 * there is no /proc. CPU per message moves far less with a shared machine's load than messages per second.
 */
export function cpuMs(pid: number): number | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return null;
  }
}

/** Polls a count query until it reaches `target`; returns when it did (performance.now()). */
export async function untilCount(db: pg.Client, sqlText: string, target: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const { rows } = await db.query<{ n: number }>(sqlText);
    if (rows[0]!.n >= target) return performance.now();
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${target} rows: ${sqlText}`);
}

/** Polls a JavaScript count (requests a fake received) until it reaches `target`. */
export async function until(count: () => number, target: number, timeoutMs: number, what: string): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (count() >= target) return performance.now();
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${target} ${what} (got ${count()})`);
}

/** A runtime inside the bench process on a fresh database, and a client of that database to watch it. */
export async function inProcessRuntime(
  adminUrl: string,
  name: string,
  options: { bundle: Bundle; env: NodeJS.ProcessEnv; workers: number },
): Promise<{ runtime: Runtime; db: pg.Client }> {
  const url = await createDatabase(adminUrl, name);
  const runtime = await startRuntime({
    databaseUrl: url,
    port: 0,
    apiKey: API_KEY,
    signingSecret: SIGNING_SECRET,
    workers: options.workers,
    env: options.env,
    bundle: options.bundle,
    onError: () => {},
  });
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  return { runtime, db };
}
