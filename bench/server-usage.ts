/**
 * What the database server spent over a window: CPU of every PostgreSQL process (the postmaster, its live
 * children — backends, WAL writer, checkpointer, autovacuum — and the children that exited meanwhile, which the
 * postmaster's own counters of waited-for children keep), and WAL written (pg_current_wal_lsn). CPU is read
 * from Linux's /proc, so only when the server runs on this machine (the embedded one, or a local DATABASE_URL);
 * null otherwise. WAL is the whole server's: nothing else should be writing to it during the window.
 */
import { readdirSync, readFileSync } from 'node:fs';
import pg from 'pg';

/** Fields of /proc/<pid>/stat after the command: [0] state, [1] ppid, … [11] utime, [12] stime, [13] cutime, [14] cstime (clock ticks of 10 ms). */
function stat(pid: number): string[] | null {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  } catch {
    return null;
  }
}

/** The postmaster: the parent of the server's checkpointer (every server has one, and it is the postmaster's child). */
async function postmasterPid(db: pg.Client): Promise<number | null> {
  const { rows } = await db.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer'`);
  const checkpointer = rows[0] ? stat(rows[0].pid) : null;
  return checkpointer ? Number(checkpointer[1]) : null;
}

function serverCpuMs(postmaster: number): number | null {
  const own = stat(postmaster);
  if (!own) return null;
  // The postmaster's own time and that of its children it has reaped.
  let ticks = Number(own[11]) + Number(own[12]) + Number(own[13]) + Number(own[14]);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const child = stat(Number(entry));
    if (child && Number(child[1]) === postmaster) ticks += Number(child[11]) + Number(child[12]);
  }
  return ticks * 10;
}

export interface ServerUsage {
  /** CPU of the server's processes, or null where /proc does not show them. */
  cpuMs: number | null;
  walBytes: number;
}

/**
 * Starts measuring: the returned function ends the window and gives what the server spent in it. Holds one
 * idle connection meanwhile.
 */
export async function measureServer(admin: string): Promise<() => Promise<ServerUsage>> {
  const db = new pg.Client({ connectionString: admin });
  await db.connect();
  try {
    const postmaster = await postmasterPid(db);
    const cpu = () => (postmaster === null ? null : serverCpuMs(postmaster));
    const { rows } = await db.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
    const cpuFrom = cpu();
    return async () => {
      try {
        const cpuTo = cpu();
        const wal = await db.query<{ bytes: string }>('SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn)::bigint AS bytes', [rows[0]!.lsn]);
        return { cpuMs: cpuFrom === null || cpuTo === null ? null : cpuTo - cpuFrom, walBytes: Number(wal.rows[0]!.bytes) };
      } finally {
        await db.end();
      }
    };
  } catch (error) {
    await db.end();
    throw error;
  }
}
