/**
 * A real PgBouncer in transaction pooling mode in front of the tests' PostgreSQL (Debian's package, installed
 * when missing: debian-package.ts), for the tests and the benchmark that run Herald through a pooler. Every
 * database of the server is reachable through it (a `*` entry), with the server URL's user and password, and
 * each database gets at most `poolSize` server connections however many clients come.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { ensureDebianPackage } from './debian-package.ts';
import { freePort } from './free-port.ts';

export const PGBOUNCER_PATH = '/usr/sbin/pgbouncer';

export interface PgBouncerOptions {
  /** Any URL of the PostgreSQL server to pool (its TCP host and port; its user and password log in). */
  serverUrl: string;
  /** Server connections per database, at most (default_pool_size and max_db_connections). */
  poolSize: number;
  /** Client connections accepted, all databases together (default 2000). */
  maxClients?: number;
}

export interface PgBouncer {
  /** `databaseUrl` (a URL of the pooled server) as a URL through the pooler: same user, password and database. */
  through(databaseUrl: string): string;
  /** A command of PgBouncer's admin console (SHOW DATABASES, SHOW POOLS, …), its rows. */
  show(command: string): Promise<Record<string, unknown>[]>;
  /** Server connections PgBouncer holds to `database` now (SHOW DATABASES' current_connections). */
  serverConnections(database: string): Promise<number>;
  /** What PgBouncer logged, for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

export function ensurePgBouncer(): Promise<string> {
  return ensureDebianPackage({ name: 'pgbouncer', path: PGBOUNCER_PATH, purpose: 'tests run Herald through it in transaction pooling mode' });
}

const quoted = (value: string) => `"${value.replaceAll('"', '""')}"`;

export async function startPgBouncer(options: PgBouncerOptions): Promise<PgBouncer> {
  const binary = await ensurePgBouncer();
  const server = new URL(options.serverUrl);
  const user = decodeURIComponent(server.username);
  const password = decodeURIComponent(server.password);
  const port = await freePort();
  // PgBouncer refuses to run as root: as root it switches to `nobody` once its socket is bound, so its folder
  // (config, user list) must be readable by that user; mkdtemp's 0700 is not.
  const asRoot = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), 'herald-pgbouncer-'));
  chmodSync(dir, 0o755);
  const userlist = join(dir, 'userlist.txt');
  // The plain password lets PgBouncer both check clients (SCRAM) and log in to the server with it.
  writeFileSync(userlist, `${quoted(user)} ${quoted(password)}\n`, { mode: 0o644 });
  const config = join(dir, 'pgbouncer.ini');
  writeFileSync(
    config,
    [
      '[databases]',
      // TCP even when the tests' own clients use the server's Unix socket: its folder is closed to `nobody`.
      `* = host=${server.hostname || '127.0.0.1'} port=${server.port || '5432'}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      // A server that trusts its clients (no password in its URL) is trusted through the pooler too.
      `auth_type = ${password ? 'scram-sha-256' : 'trust'}`,
      `auth_file = ${userlist}`,
      `admin_users = ${user}`,
      'pool_mode = transaction',
      `default_pool_size = ${options.poolSize}`,
      `max_db_connections = ${options.poolSize}`,
      `max_client_conn = ${options.maxClients ?? 2000}`,
      ...(asRoot ? ['user = nobody'] : []),
      '',
    ].join('\n'),
    { mode: 0o644 },
  );

  const child = spawn(binary, [config], { stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(chunk.toString());
    if (output.length > 2_000) output.splice(0, output.length - 2_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<number | string | null>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));
  let gone = false;
  void exited.then(() => (gone = true));

  const through = (databaseUrl: string) => {
    const url = new URL(databaseUrl);
    const pooled = new URL(`postgres://127.0.0.1:${port}${url.pathname}`);
    pooled.username = url.username;
    pooled.password = url.password;
    return pooled.toString();
  };
  const show = async (command: string) => {
    const client = new pg.Client({ connectionString: through(`postgres://${server.username}:${server.password}@x/pgbouncer`) });
    await client.connect();
    try {
      // The admin console speaks only the simple query protocol: no parameters.
      return (await client.query(command)).rows as Record<string, unknown>[];
    } finally {
      await client.end();
    }
  };
  const stop = async () => {
    if (!gone) child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + 10_000;
  for (;;) {
    if (gone) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`pgbouncer exited before it accepted connections (config ${config}):\n${output.join('')}`);
    }
    try {
      await show('SHOW VERSION');
      break;
    } catch (error) {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`pgbouncer did not accept connections on 127.0.0.1:${port} within 10 s (${String(error)}):\n${output.join('')}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  return {
    through,
    show,
    async serverConnections(database) {
      const row = (await show('SHOW DATABASES')).find((r) => r.name === database);
      return Number(row?.current_connections ?? 0);
    },
    log: () => output.join(''),
    stop,
  };
}
