/**
 * Time partitions of the append-mostly tables: the message log, inbox items, the event log, provider events
 * and the audit log. Native PostgreSQL range partitioning by a time column, one partition per UTC day,
 * created ahead and dropped whole once past the retention — never deleted row by row.
 *
 * - `preparePartitions` turns each table of the previous release into a partitioned one, online, and creates
 *   the days ahead. Run at every start (after `migrate`) and by `herald migrate`; it does nothing once done.
 *   Its table keeps its rows and becomes the first partition, `<table>_before_<day>`, holding everything
 *   before that day; nothing is copied. A table with rows is checked against that bound by VALIDATE CONSTRAINT
 *   and indexed with CREATE INDEX CONCURRENTLY (neither blocks writes), then switched in one short transaction
 *   (renames and an ATTACH that scans nothing). An empty one (a new database) is switched at once.
 * - `maintainPartitions` (the maintenance schedule, once per slot across processes) creates the days ahead
 *   and detaches and drops the days past the retention.
 *
 * All of it runs under one session advisory lock on a connection of its own: processes starting together
 * convert once, and CREATE INDEX CONCURRENTLY / DETACH … CONCURRENTLY cannot run in a transaction.
 */
import pg from 'pg';
import type { Database } from './pool.ts';
import type { SqlClient } from './sql-client.ts';

/** Where the partitions' session goes: straight to PostgreSQL, past a transaction pooler (DATABASE_DIRECT_URL). */
type Session = Pick<Database, 'url' | 'directUrl'>;

interface IndexSpec {
  /** The index is `<table>_<name>`. */
  name: string;
  /** As pg_get_indexdef prints it after `USING btree`, so an equal index already there is recognised. */
  columns: string;
  where?: string;
}

export interface PartitionedTable {
  table: string;
  /** The partition key: a timestamptz set when the row is written and never changed. */
  column: string;
  /** A partitioned table's unique keys must hold its partition key. */
  primaryKey: string;
  indexes: readonly IndexSpec[];
  /** A bigserial column, whose sequence must outlive the first partition. */
  serial?: string;
  /** Statement triggers with transition tables live on the partitioned table, not on a partition. */
  triggers?: readonly string[];
}

const INBOX_TRIGGERS = [
  'CREATE TRIGGER inbox_notify_insert AFTER INSERT ON herald.inbox REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION herald.inbox_notify()',
  'CREATE TRIGGER inbox_notify_update AFTER UPDATE ON herald.inbox REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION herald.inbox_notify()',
];

export const PARTITIONED_TABLES: readonly PartitionedTable[] = [
  {
    table: 'messages',
    column: 'created_at',
    primaryKey: 'id, created_at',
    indexes: [
      { name: 'by_run', columns: 'run_id, step_id, channel' },
      { name: 'by_user', columns: 'user_id, created_at DESC, id DESC' },
      { name: 'by_provider_id', columns: 'provider_message_id', where: '(provider_message_id IS NOT NULL)' },
      // The dashboard's keyset pages, one per filter (see the baseline migration).
      { name: 'by_time', columns: 'created_at DESC, id DESC' },
      { name: 'by_status', columns: 'status, created_at DESC, id DESC' },
      { name: 'by_workflow', columns: 'workflow, created_at DESC, id DESC' },
      { name: 'by_channel', columns: 'channel, created_at DESC, id DESC' },
      { name: 'by_provider', columns: 'provider, created_at DESC, id DESC' },
    ],
  },
  {
    table: 'inbox',
    column: 'created_at',
    primaryKey: 'id, created_at',
    indexes: [
      { name: 'by_user', columns: 'user_id, created_at DESC' },
      { name: 'by_message', columns: 'message_id' },
    ],
    triggers: INBOX_TRIGGERS,
  },
  {
    table: 'events',
    column: 'received_at',
    primaryKey: 'id, received_at',
    serial: 'id',
    indexes: [
      { name: 'by_message_id', columns: 'message_id', where: '(message_id IS NOT NULL)' },
      { name: 'by_time_id', columns: 'received_at, id' },
    ],
  },
  { table: 'provider_events', column: 'received_at', primaryKey: 'dedupe_key, received_at', indexes: [] },
  { table: 'audit_log', column: 'at', primaryKey: 'id, at', serial: 'id', indexes: [{ name: 'by_at', columns: 'at DESC, id DESC' }] },
];

/** Days created ahead: the maintenance runs hourly and at every start, so a missed slot or two costs nothing. */
export const DAYS_AHEAD = 3;
const DAY_MS = 86_400_000;
const LOCK = "hashtext('herald.partitions')";

export interface PartitionReport {
  converted: string[];
  created: string[];
  dropped: string[];
}

const dayOf = (ms: number) => Math.floor(ms / DAY_MS) * DAY_MS;
const dayName = (ms: number) => new Date(ms).toISOString().slice(0, 10).replaceAll('-', '');
const literal = (ms: number) => `'${new Date(ms).toISOString()}'`;
/** A timestamptz as PostgreSQL prints it in UTC (`2026-12-09 00:00:00+00`). */
const parseTimestamp = (text: string) => Date.parse(text.replace(' ', 'T').replace(/([+-]\d\d)$/, '$1:00'));

/** Runs `fn` on a session of its own, under the partitions' advisory lock. */
async function locked<T>(db: Session, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: db.directUrl ?? db.url });
  client.on('error', () => {}); // a dropped connection fails the statement in flight, which reports it
  await client.connect();
  try {
    // Partitions are UTC days, and bounds are read back as text: one zone whatever the server's default.
    await client.query("SET TimeZone = 'UTC'");
    await client.query(`SELECT pg_advisory_lock(${LOCK})`);
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/** Converts what is not partitioned yet and creates the days ahead. */
export function preparePartitions(db: Session, now = Date.now()): Promise<PartitionReport> {
  return locked(db, async (client) => {
    const report: PartitionReport = { converted: [], created: [], dropped: [] };
    for (const spec of PARTITIONED_TABLES) {
      if (await convert(client, spec, now)) report.converted.push(spec.table);
    }
    report.created = await createAhead(client, now);
    return report;
  });
}

/** The maintenance slot: days ahead, and days past the retention dropped whole. */
export function maintainPartitions(db: Session, retentionMs: number, now = Date.now()): Promise<PartitionReport> {
  return locked(db, async (client) => {
    for (const spec of PARTITIONED_TABLES) await convert(client, spec, now);
    const created = await createAhead(client, now);
    const dropped = await dropExpired(client, now - retentionMs);
    return { converted: [], created, dropped };
  });
}

const isPartitioned = async (client: SqlClient, table: string) =>
  (await client.query<{ kind: string }>(`SELECT relkind AS kind FROM pg_class WHERE oid = to_regclass($1)`, [`herald.${table}`])).rows[0]?.kind === 'p';

const boundName = (spec: PartitionedTable) => `${spec.table}_before_partitioning`;

/** The day the old table's rows end at: from its bound constraint, or chosen now (and the constraint added). */
async function legacyBound(client: pg.Client, spec: PartitionedTable, now: number): Promise<{ at: number; empty: boolean }> {
  const existing = await client.query<{ def: string }>(
    `SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = to_regclass($1) AND conname = $2`,
    [`herald.${spec.table}`, boundName(spec)],
  );
  const found = existing.rows[0]?.def.match(/'([^']+)'/);
  if (found) return { at: parseTimestamp(found[1]!), empty: false };
  // Rows keep arriving while a large table is checked: the bound leaves them two days. An empty table (a new
  // database, or the first start after an upgrade that logged nothing yet) is switched at once, from today.
  const empty = (await client.query(`SELECT 1 FROM herald.${spec.table} LIMIT 1`)).rowCount === 0;
  const at = dayOf(now) + (empty ? 0 : 2 * DAY_MS);
  if (!empty) {
    await client.query(`ALTER TABLE herald.${spec.table} ADD CONSTRAINT ${boundName(spec)} CHECK (${spec.column} < ${literal(at)}) NOT VALID`);
  }
  return { at, empty };
}

async function convert(client: pg.Client, spec: PartitionedTable, now: number): Promise<boolean> {
  if (await isPartitioned(client, spec.table)) return false;
  const { at, empty } = await legacyBound(client, spec, now);
  const legacy = `${spec.table}_before_${dayName(at)}`;
  if (!empty) {
    // Online: VALIDATE takes a lock that lets reads and writes go on; so does each concurrent index build.
    await client.query(`ALTER TABLE herald.${spec.table} VALIDATE CONSTRAINT ${boundName(spec)}`);
    const have = await existingIndexes(client, spec.table);
    const wanted = [{ name: 'pkey', unique: true, columns: spec.primaryKey }, ...spec.indexes.map((i) => ({ ...i, unique: false }))];
    for (const index of wanted) {
      const shape = indexShape(index.unique, index.columns, 'where' in index ? index.where : undefined);
      if (have.some((h) => h.shape === shape && h.valid)) continue;
      const name = `${spec.table}_pre_${index.name}`;
      // A build interrupted earlier leaves an invalid index behind: start it again.
      await client.query(`DROP INDEX CONCURRENTLY IF EXISTS herald.${name}`);
      await client.query(
        `CREATE ${index.unique ? 'UNIQUE ' : ''}INDEX CONCURRENTLY ${name} ON herald.${spec.table} (${index.columns})${'where' in index && index.where ? ` WHERE ${index.where}` : ''}`,
      );
    }
  }
  await client.query('BEGIN');
  try {
    await client.query("SET LOCAL lock_timeout = '10s'");
    await client.query(`LOCK TABLE herald.${spec.table} IN ACCESS EXCLUSIVE MODE`);
    if (empty) {
      // Checked again under the lock: a row written since is kept by bounding the old table after it.
      if ((await client.query(`SELECT 1 FROM herald.${spec.table} LIMIT 1`)).rowCount !== 0) {
        await client.query('ROLLBACK');
        return convert(client, spec, now);
      }
      await client.query(`ALTER TABLE herald.${spec.table} ADD CONSTRAINT ${boundName(spec)} CHECK (${spec.column} < ${literal(at)})`);
    }
    await switchToPartitioned(client, spec, legacy, at);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  }
  return true;
}

/** The renames, the partitioned table and the ATTACH, in the caller's transaction. */
async function switchToPartitioned(client: pg.Client, spec: PartitionedTable, legacy: string, at: number): Promise<void> {
  const { table } = spec;
  await client.query(`ALTER TABLE herald.${table} RENAME TO ${legacy}`);
  // A partition's primary key is its partitioned table's (which holds the time): the old one gives way to it.
  await client.query(
    `DO $$ DECLARE pk text; BEGIN
       SELECT conname INTO pk FROM pg_constraint WHERE conrelid = 'herald.${legacy}'::regclass AND contype = 'p';
       IF pk IS NOT NULL THEN EXECUTE format('ALTER TABLE herald.${legacy} DROP CONSTRAINT %I', pk); END IF;
     END $$`,
  );
  // Index names are the schema's: the old table's make way for the partitioned table's.
  const old = await client.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = to_regclass($1) ORDER BY c.relname`,
    [`herald.${legacy}`],
  );
  for (const [n, { name }] of old.rows.entries()) await client.query(`ALTER INDEX herald.${name} RENAME TO ${legacy}_${n + 1}`);
  for (const trigger of spec.triggers ?? []) await client.query(`DROP TRIGGER IF EXISTS ${trigger.split(' ')[2]} ON herald.${legacy}`);
  await client.query(`CREATE TABLE herald.${table} (LIKE herald.${legacy} INCLUDING DEFAULTS INCLUDING STORAGE) PARTITION BY RANGE (${spec.column})`);
  await client.query(`ALTER TABLE herald.${table} ADD CONSTRAINT ${table}_pkey PRIMARY KEY (${spec.primaryKey})`);
  for (const index of spec.indexes) {
    await client.query(`CREATE INDEX ${table}_${index.name} ON herald.${table} (${index.columns})${index.where ? ` WHERE ${index.where}` : ''}`);
  }
  // A serial id's sequence belongs to the old table's column: dropping that partition one day must not drop it.
  if (spec.serial) {
    await client.query(
      `DO $$ DECLARE seq text := pg_get_serial_sequence('herald.${legacy}', '${spec.serial}'); BEGIN
         IF seq IS NOT NULL THEN EXECUTE format('ALTER SEQUENCE %s OWNED BY herald.${table}.${spec.serial}', seq); END IF;
       END $$`,
    );
  }
  for (const trigger of spec.triggers ?? []) await client.query(trigger);
  // The valid bound constraint proves every row fits: ATTACH reads none of them.
  // (Kept when empty too: it is where a row dated before the first day goes, rather than failing.)
  await client.query(`ALTER TABLE herald.${table} ATTACH PARTITION herald.${legacy} FOR VALUES FROM (MINVALUE) TO (${literal(at)})`);
}

async function existingIndexes(client: pg.Client, table: string): Promise<{ shape: string; valid: boolean }[]> {
  const result = await client.query<{ unique: boolean; def: string; valid: boolean }>(
    `SELECT i.indisunique AS unique, pg_get_indexdef(i.indexrelid) AS def, i.indisvalid AS valid FROM pg_index i WHERE i.indrelid = to_regclass($1)`,
    [`herald.${table}`],
  );
  return result.rows.map((r) => {
    const [, columns = '', where] = r.def.match(/USING btree \((.*?)\)(?: WHERE (.*))?$/) ?? [];
    return { shape: indexShape(r.unique, columns, where), valid: r.valid };
  });
}
const indexShape = (unique: boolean, columns: string, where?: string) => `${unique ? 'unique ' : ''}(${columns})${where ? ` where ${where}` : ''}`;

export interface PartitionCoverage {
  table: string;
  partitioned: boolean;
  /** Where the last partition ends (exclusive): rows dated from here on have nowhere to go. Null when none. */
  until: Date | null;
}

/**
 * Which logs are partitioned, and up to when their days run on without a gap from now (herald doctor). Reads
 * the catalog only: no lock, any connection.
 */
export async function partitionCoverage(db: SqlClient, now = Date.now()): Promise<PartitionCoverage[]> {
  const coverage: PartitionCoverage[] = [];
  for (const { table } of PARTITIONED_TABLES) {
    const partitioned = await isPartitioned(db, table);
    const parts = partitioned ? await partitionsOf(db, table) : [];
    let until: number | null = null;
    for (let at = now, next: Partition | undefined; (next = parts.find((p) => p.from !== null && p.until !== null && p.from <= at && at < p.until)); ) {
      until = at = next.until!;
    }
    coverage.push({ table, partitioned, until: until === null ? null : new Date(until) });
  }
  return coverage;
}

interface Partition {
  table: string;
  name: string;
  /** The inclusive lower bound; -Infinity for MINVALUE, null for the default partition. */
  from: number | null;
  /** The exclusive upper bound; null for the default partition. */
  until: number | null;
  detachPending: boolean;
}

async function partitionsOf(client: SqlClient, table: string): Promise<Partition[]> {
  const result = await client.query<{ name: string; bound: string; pending: boolean }>(
    `SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound, i.inhdetachpending AS pending FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = to_regclass($1)`,
    [`herald.${table}`],
  );
  return result.rows.map((r) => {
    const from = r.bound.match(/FROM \((?:'([^']+)'|MINVALUE)\)/);
    const to = r.bound.match(/TO \('([^']+)'\)/);
    return {
      table,
      name: r.name,
      from: from ? (from[1] ? parseTimestamp(from[1]) : Number.NEGATIVE_INFINITY) : null,
      until: to ? parseTimestamp(to[1]!) : null,
      detachPending: r.pending,
    };
  });
}

/** Today and the days ahead, each created apart and attached (ATTACH locks the partitioned table less than CREATE … PARTITION OF). */
async function createAhead(client: pg.Client, now: number): Promise<string[]> {
  const created: string[] = [];
  for (const spec of PARTITIONED_TABLES) {
    const existing = await partitionsOf(client, spec.table);
    const covered = (day: number) => existing.some((p) => p.from !== null && p.until !== null && p.from <= day && day < p.until);
    const statements: string[] = [];
    // Every day from today on that no partition covers: a day dropped by hand is made again too.
    for (let day = dayOf(now); day <= dayOf(now) + DAYS_AHEAD * DAY_MS; day += DAY_MS) {
      if (covered(day)) continue;
      const name = `${spec.table}_p${dayName(day)}`;
      statements.push(
        `CREATE TABLE herald.${name} (LIKE herald.${spec.table} INCLUDING DEFAULTS INCLUDING STORAGE)`,
        `ALTER TABLE herald.${spec.table} ATTACH PARTITION herald.${name} FOR VALUES FROM (${literal(day)}) TO (${literal(day + DAY_MS)})`,
      );
      created.push(name);
    }
    // One round trip: a simple query of several statements is one transaction.
    if (statements.length) await client.query(["SET lock_timeout = '10s'", ...statements, 'RESET lock_timeout'].join(';\n'));
  }
  return created;
}

/** Partitions wholly before `cutoff`: detached without blocking the table's readers and writers, then dropped. */
async function dropExpired(client: pg.Client, cutoff: number): Promise<string[]> {
  const dropped: string[] = [];
  for (const spec of PARTITIONED_TABLES) {
    for (const partition of await partitionsOf(client, spec.table)) {
      if (partition.until === null || partition.until > cutoff) continue;
      // A detach cut short (the process died) is finished rather than started again.
      const detach = partition.detachPending ? 'FINALIZE' : 'CONCURRENTLY';
      await client.query(`ALTER TABLE herald.${spec.table} DETACH PARTITION herald.${partition.name} ${detach}`);
      await client.query(`DROP TABLE herald.${partition.name}`);
      dropped.push(partition.name);
    }
  }
  return dropped;
}
