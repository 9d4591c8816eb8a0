/**
 * The one module that runs queries through the `pg` driver (db/listen.ts holds the LISTEN connections). Short timeouts make a database outage an error within
 * seconds (the API answers 503) rather than a hang; the pool reconnects by itself when the database returns.
 */
import pg from 'pg';
import { coalescingStream } from './coalescing-socket.ts';
import type { SqlClient } from './sql-client.ts';

export interface Database extends SqlClient {
  /** Runs `fn` in a transaction; commits on success, rolls back on error. */
  transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T>;
  ping(timeoutMs?: number): Promise<boolean>;
  close(): Promise<void>;
  readonly url: string;
  /**
   * Set when `url` is a connection pooler in transaction mode: a URL straight to PostgreSQL, where connections
   * that hold a session go (LISTEN, session advisory locks). Absent: `url` holds sessions too.
   */
  readonly directUrl?: string;
}

/** Errors that mean "the database is unreachable or going away", not "the query is wrong". */
export function isConnectionError(error: unknown): boolean {
  const e = error as { code?: string; message?: string; syscall?: string } | null;
  if (!e) return false;
  // Over a Unix socket, a stopped server is a socket file that is gone.
  if (e.code === 'ENOENT' && e.syscall === 'connect') return true;
  if (
    e.code &&
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', '57P01', '57P02', '57P03', '08000', '08003', '08006', '08001', '08004'].includes(e.code)
  )
    return true;
  return /timeout exceeded when trying to connect|Connection terminated|connection timeout|Client has encountered a connection error|the database system is (starting up|shutting down)/i.test(
    e.message ?? '',
  );
}

/**
 * Statements with parameters run as named prepared statements: each connection parses and plans them once,
 * not on every call (the hot path repeats the same few statements thousands of times a second).
 */
const statementNames = new Map<string, string>();
function prepared(text: string, values: unknown[] | undefined): pg.QueryConfig | string {
  if (!values || values.length === 0) return text;
  let name = statementNames.get(text);
  if (!name) {
    // Text built per call (none of ours, but callers pass SQL through here too) must not grow this forever.
    if (statementNames.size >= 500) return { text, values };
    name = `herald_${statementNames.size}`;
    statementNames.set(text, name);
  }
  return { name, text, values };
}

/**
 * Through a transaction pooler, statements run unnamed: each transaction gets whichever server connection is
 * free, where a statement prepared on another does not exist (PgBouncer before 1.21 cannot track them). Each is
 * parsed and planned again on every call; that is the price of the pooler.
 */
function unnamed(text: string, values: unknown[] | undefined): pg.QueryConfig | string {
  return values && values.length > 0 ? { text, values } : text;
}

/**
 * What PgBouncer in transaction mode answers a pool that treats it as PostgreSQL: our named statements missing
 * or already there on the server connection it handed out, or startup options refused. Said once, with the fix.
 */
function poolerHint(error: unknown): unknown {
  const e = error as { code?: string; message?: string } | null;
  const named = (e?.code === '26000' || e?.code === '42P05') && /prepared statement "herald_\d+"/.test(e.message ?? '');
  const options = e?.code === '08P01' && /unsupported startup parameter/.test(e.message ?? '');
  if ((named || options) && e && !e.message?.includes('DATABASE_DIRECT_URL'))
    e.message +=
      ' (this database URL leads to a connection pooler in transaction mode, e.g. PgBouncer: a DATABASE_URL through one needs DATABASE_DIRECT_URL set to a URL straight to PostgreSQL; runtime/README.md, "Through a connection pooler")';
  return error;
}

export interface PoolOptions {
  max?: number;
  /** Session settings of every connection, as `-c name=value` startup options (e.g. synchronous_commit). */
  settings?: Record<string, string>;
  /**
   * A URL straight to PostgreSQL, given when `url` is a connection pooler in transaction mode (DATABASE_DIRECT_URL):
   * statements then run unnamed, and the database's `directUrl` is this.
   */
  directUrl?: string;
}

export function openDatabase(url: string, options: PoolOptions = {}): Database {
  const { directUrl } = options;
  const pooled = directUrl !== undefined;
  // A pooler refuses startup options (PgBouncer: "unsupported startup parameter: options"), and would hand the
  // settings of one client's session to the next: a pool that needs them connects straight to PostgreSQL.
  if (pooled && options.settings && Object.keys(options.settings).length > 0)
    throw new Error('openDatabase: session settings cannot go through a connection pooler; open this pool on the direct URL (DATABASE_DIRECT_URL) instead');
  const statement = pooled ? unnamed : prepared;
  const settings = Object.entries(options.settings ?? {}).map(([name, value]) => `-c ${name}=${value}`);
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    ...(settings.length ? { options: settings.join(' ') } : {}),
    connectionTimeoutMillis: 3_000,
    idleTimeoutMillis: 10_000,
    query_timeout: 15_000,
    stream: coalescingStream,
  });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  const database: Database = {
    url,
    ...(pooled ? { directUrl } : {}),
    query: async <Row>(text: string, values?: unknown[]) => {
      try {
        return (await pool.query(statement(text, values) as pg.QueryConfig)) as unknown as { rows: Row[] };
      } catch (error) {
        throw poolerHint(error);
      }
    },
    async transaction(fn) {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (error) {
        throw poolerHint(error);
      }
      // A checked-out client whose connection drops emits 'error'; the failing query reports it, so the
      // event itself must not go unhandled (it would end the process).
      const swallow = () => {};
      client.on('error', swallow);
      let broken: unknown;
      try {
        await client.query('BEGIN');
        let open = true;
        const committed: (() => void)[] = [];
        const tx: SqlClient = {
          query: async <Row>(t: string, v?: unknown[]) => {
            // A statement after the transaction ended would run on a client back in the pool, perhaps in another's transaction.
            if (!open) throw new Error('statement issued after its transaction ended');
            try {
              return (await client.query(statement(t, v) as pg.QueryConfig)) as unknown as { rows: Row[] };
            } catch (error) {
              throw poolerHint(error);
            }
          },
          afterCommit: (fn) => void committed.push(fn),
        };
        let result: Awaited<ReturnType<typeof fn>>;
        try {
          result = await fn(tx);
          await client.query('COMMIT');
        } finally {
          open = false;
        }
        // Committed: nothing may now make the transaction look failed (a caller would retry work that is done).
        for (const run of committed) {
          try {
            run();
          } catch {
            // Callbacks hand work on (local-starts.ts) and do not throw; should one, the work it carried is still in the database.
          }
        }
        return result;
      } catch (error) {
        if (isConnectionError(error)) broken = error;
        else await client.query('ROLLBACK').catch((e: unknown) => (broken = e));
        throw error;
      } finally {
        client.off('error', swallow);
        // A broken connection is destroyed rather than returned to the pool.
        client.release(broken instanceof Error ? broken : broken === undefined ? undefined : true);
      }
    },
    async ping(timeoutMs = 2_000) {
      try {
        await Promise.race([pool.query('SELECT 1'), new Promise((_, reject) => setTimeout(() => reject(new Error('ping timeout')), timeoutMs).unref())]);
        return true;
      } catch {
        return false;
      }
    },
    close: () => pool.end(),
  };
  return database;
}
