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
  stop(): Promise<void>;
}

/** DATABASE_URL when set, else an embedded PostgreSQL in a temporary folder (removed on stop). */
export async function benchPostgres(preferredPort: number): Promise<BenchPostgres> {
  if (process.env.DATABASE_URL) return { admin: process.env.DATABASE_URL, stop: async () => {} };
  const dataDir = mkdtempSync(join(tmpdir(), 'herald-bench-pg-'));
  const embedded = await startEmbeddedPostgres(dataDir, { port: preferredPort });
  return {
    admin: embedded.url,
    stop: async () => {
      await embedded.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A fresh database (dropped first if a previous run left it), as a URL. */
export async function createDatabase(adminUrl: string, name: string): Promise<string> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  await client.query(`DROP DATABASE IF EXISTS ${name}`);
  await client.query(`CREATE DATABASE ${name}`);
  await client.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
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
