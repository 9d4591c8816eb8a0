/**
 * Starts one real PostgreSQL for the test run — the embedded one, or the server at DATABASE_URL — and hands
 * its admin URL to the test files. The data directory of the last run stays in the OS temp folder, so a
 * failing test's database can be inspected.
 */
import { rmSync } from 'node:fs';
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
  const dir = join(tmpdir(), 'herald-test-pg');
  rmSync(dir, { recursive: true, force: true });
  const pg = await startEmbeddedPostgres(dir, { port: 54400 });
  project.provide('adminDatabaseUrl', pg.url);
  return async () => {
    await pg.stop();
  };
}
