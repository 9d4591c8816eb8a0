/**
 * Starts one real PostgreSQL for the test run — the embedded one, or the server at DATABASE_URL — and hands
 * its admin URL to the test files. Each run has its own data directory (runs may overlap on one machine);
 * to inspect a failing test's database, run the suite against your own server with DATABASE_URL.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres } from '../../runtime/db/embedded.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    adminDatabaseUrl: string;
  }
}

export default async function setup(project: TestProject) {
  if (process.env.DATABASE_URL) {
    project.provide('adminDatabaseUrl', process.env.DATABASE_URL);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'herald-test-pg-'));
  const pg = await startEmbeddedPostgres(dir, { port: 54400 });
  project.provide('adminDatabaseUrl', pg.url);
  return async () => {
    await pg.stop();
    rmSync(dir, { recursive: true, force: true });
  };
}
