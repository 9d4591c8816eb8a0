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
import { ensureReadViews } from './read-views.ts';
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
}

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
      // The tenant filter (runtime/tenants): only messages of a tenant, so untenanted logs pay nothing for it.
      { name: 'by_tenant', columns: 'tenant_id, created_at DESC, id DESC', where: '(tenant_id IS NOT NULL)' },
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
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A bound's text (SQL `text`, as PostgreSQL printed it) as milliseconds, computed in SQL: it prints a bound in
 * the session's DateStyle and zone and reads it back the same way, so nothing here parses dates.
 */
const boundMs = (text: string) => `(extract(epoch FROM (${text})::timestamptz) * 1000)::float8`;

/** How long a statement that locks a table the runtime writes may wait for that lock: never long. */
const SHORT_LOCK = '2s';
const LOCK_ATTEMPTS = 6;

/**
 * Runs `fn` on a session of its own, under the partitions' advisory lock. Waited for by polling
 * (pg_try_advisory_lock), never in a blocking call: a session blocked in pg_advisory_lock holds a snapshot,
 * and the holder's CREATE INDEX CONCURRENTLY waits for every older snapshot — the two would wait on each other.
 */
async function locked<T>(db: Session, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: db.directUrl ?? db.url });
  client.on('error', () => {}); // a dropped connection fails the statement in flight, which reports it
  await client.connect();
  try {
    // Partitions are UTC days.
    await client.query("SET TimeZone = 'UTC'");
    for (let wait = 50; !(await client.query<{ got: boolean }>(`SELECT pg_try_advisory_lock(${LOCK}) AS got`)).rows[0]?.got; wait = Math.min(wait * 2, 1_000)) {
      await sleep(wait);
    }
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Runs `fn`, which takes a lock on a table the runtime uses, with a short lock_timeout: queued behind a long
 * transaction it would hold up every query after it. Tried again with backoff; the last failure is thrown
 * (the next start or maintenance slot goes on from where this stopped).
 */
async function briefly<T>(client: pg.Client, fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    await client.query(`SET lock_timeout = '${SHORT_LOCK}'`);
    try {
      return await fn();
    } catch (error) {
      // 55P03: lock_timeout.
      if ((error as { code?: string }).code !== '55P03' || attempt >= LOCK_ATTEMPTS) throw error;
    } finally {
      await client.query('RESET lock_timeout').catch(() => {});
    }
    await sleep(250 * 2 ** attempt);
  }
}

async function inTransaction(client: pg.Client, fn: () => Promise<void>): Promise<void> {
  await client.query('BEGIN');
  try {
    await fn();
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  }
}

/** Converts what is not partitioned yet and creates the days ahead. */
export function preparePartitions(db: Session, now = Date.now()): Promise<PartitionReport> {
  return locked(db, async (client) => {
    const report: PartitionReport = { converted: [], created: [], dropped: [] };
    for (const spec of PARTITIONED_TABLES) {
      if (await convert(client, spec, now)) report.converted.push(spec.table);
      // Each table's days at once: a table converted from empty takes no row dated today until today exists.
      report.created.push(...(await createAhead(client, spec, now)));
    }
    // The read schema's views follow the message log onto its partitioned parent (else they hold its first partition).
    await ensureReadViews(client);
    return report;
  });
}

/** The maintenance slot: days ahead, and days past the retention dropped whole. */
export function maintainPartitions(db: Session, retentionMs: number, now = Date.now()): Promise<PartitionReport> {
  return locked(db, async (client) => {
    const report: PartitionReport = { converted: [], created: [], dropped: [] };
    // A view still on a first partition (a start that died mid-way) would keep it from being dropped.
    await ensureReadViews(client);
    for (const spec of PARTITIONED_TABLES) {
      if (await convert(client, spec, now)) report.converted.push(spec.table);
      report.created.push(...(await createAhead(client, spec, now)));
      report.dropped.push(...(await dropExpired(client, spec, now - retentionMs)));
    }
    return report;
  });
}

const isPartitioned = async (client: SqlClient, table: string) =>
  (await client.query<{ kind: string }>(`SELECT relkind AS kind FROM pg_class WHERE oid = to_regclass($1)`, [`herald.${table}`])).rows[0]?.kind === 'p';

const boundName = (spec: PartitionedTable) => `${spec.table}_before_partitioning`;

/** A bound this close leaves too little time to finish: rows dated past it would be refused by the old table. */
const BOUND_MARGIN_MS = DAY_MS;

/** The day the old table's rows end at: from its bound constraint, or chosen now (and the constraint added). */
async function legacyBound(client: pg.Client, spec: PartitionedTable, now: number): Promise<{ at: number; empty: boolean }> {
  const table = `herald.${spec.table}`;
  const existing = await client.query<{ at: number | null }>(
    `SELECT ${boundMs(`(regexp_match(pg_get_constraintdef(oid), '''([^'']+)'''))[1]`)} AS at FROM pg_constraint WHERE conrelid = to_regclass($1) AND conname = $2`,
    [table, boundName(spec)],
  );
  const found = existing.rows[0]?.at;
  if (typeof found === 'number' && found - now >= BOUND_MARGIN_MS) return { at: found, empty: false };
  // Rows keep arriving while a large table is checked: the bound leaves them two days. An empty table (a new
  // database, or the first start after an upgrade that logged nothing yet) is switched at once, from today.
  // A bound left by a conversion that stopped part-way, now too close, is moved on (and checked again).
  const empty = found === undefined && (await client.query(`SELECT 1 FROM ${table} LIMIT 1`)).rowCount === 0;
  const at = dayOf(now) + (empty ? 0 : 2 * DAY_MS);
  if (!empty) {
    await briefly(client, () =>
      client.query(
        `ALTER TABLE ${table} DROP CONSTRAINT IF EXISTS ${boundName(spec)}, ADD CONSTRAINT ${boundName(spec)} CHECK (${spec.column} < ${literal(at)}) NOT VALID`,
      ),
    );
  }
  return { at, empty };
}

async function convert(client: pg.Client, spec: PartitionedTable, now: number): Promise<boolean> {
  if (await isPartitioned(client, spec.table)) {
    await addMissingIndexes(client, spec);
    return false;
  }
  const { at, empty } = await legacyBound(client, spec, now);
  const legacy = `${spec.table}_before_${dayName(at)}`;
  let primaryKeyIndex: string | null = null;
  if (!empty) {
    // Online: VALIDATE takes a lock that lets reads and writes go on; so does each concurrent index build.
    await client.query(`ALTER TABLE herald.${spec.table} VALIDATE CONSTRAINT ${boundName(spec)}`);
    const have = await existingIndexes(client, spec.table);
    primaryKeyIndex = `${spec.table}_pre_pkey`;
    const wanted = [{ name: 'pkey', unique: true, columns: spec.primaryKey }, ...spec.indexes.map((i) => ({ ...i, unique: false }))];
    for (const index of wanted) {
      const where = 'where' in index ? index.where : undefined;
      const name = `${spec.table}_pre_${index.name}`;
      if (have.some((h) => h.name === name && h.valid)) continue;
      // An equal index already there serves; not for the key, which must be this one (the switch makes it the primary key).
      if (!index.unique && have.some((h) => h.shape === indexShape(false, index.columns, where) && h.valid)) continue;
      // A build interrupted earlier leaves an invalid index behind: start it again.
      await client.query(`DROP INDEX CONCURRENTLY IF EXISTS herald.${name}`);
      await client.query(
        `CREATE ${index.unique ? 'UNIQUE ' : ''}INDEX CONCURRENTLY ${name} ON herald.${spec.table} (${index.columns})${where ? ` WHERE ${where}` : ''}`,
      );
    }
  }
  let raced = false;
  try {
    await briefly(client, () =>
      inTransaction(client, async () => {
        await client.query(`LOCK TABLE herald.${spec.table} IN ACCESS EXCLUSIVE MODE`);
        if (empty) {
          // Checked again under the lock: a row written since means the table is converted as one with rows.
          if ((await client.query(`SELECT 1 FROM herald.${spec.table} LIMIT 1`)).rowCount !== 0) {
            raced = true;
            throw new Error(`herald.${spec.table} took rows while being partitioned`);
          }
          await client.query(`ALTER TABLE herald.${spec.table} ADD CONSTRAINT ${boundName(spec)} CHECK (${spec.column} < ${literal(at)})`);
        }
        await switchToPartitioned(client, spec, legacy, at, primaryKeyIndex);
      }),
    );
  } catch (error) {
    if (!raced) throw error;
    return convert(client, spec, now);
  }
  return true;
}

/**
 * An index a later release added to a table already partitioned (the tenant filter): made online, as PostgreSQL
 * documents for partitioned tables — the parent's index alone (ON ONLY, invalid until complete), each
 * partition's built CONCURRENTLY and attached; the last attachment makes the parent's valid. Partitions created
 * from then on get it with their ATTACH. A build cut short is taken up again at the next start.
 */
async function addMissingIndexes(client: pg.Client, spec: PartitionedTable): Promise<void> {
  const have = new Set((await existingIndexes(client, spec.table)).filter((i) => i.valid).map((i) => i.name));
  for (const index of spec.indexes) {
    const name = `${spec.table}_${index.name}`;
    if (have.has(name)) continue;
    const where = index.where ? ` WHERE ${index.where}` : '';
    await briefly(client, () => client.query(`CREATE INDEX IF NOT EXISTS ${name} ON ONLY herald.${spec.table} (${index.columns})${where}`));
    const parts = await client.query<{ partition: string; attached: boolean }>(
      `SELECT c.relname AS partition, EXISTS (SELECT 1 FROM pg_inherits ii JOIN pg_index x ON x.indexrelid = ii.inhrelid
                WHERE ii.inhparent = to_regclass($2) AND x.indrelid = c.oid) AS attached
       FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = to_regclass($1) AND NOT i.inhdetachpending`,
      [`herald.${spec.table}`, `herald.${name}`],
    );
    for (const { partition, attached } of parts.rows) {
      if (attached) continue;
      const own = `${partition}_${index.name}`;
      await client.query(`DROP INDEX CONCURRENTLY IF EXISTS herald."${own}"`);
      await client.query(`CREATE INDEX CONCURRENTLY "${own}" ON herald."${partition}" (${index.columns})${where}`);
      await briefly(client, () => client.query(`ALTER INDEX herald.${name} ATTACH PARTITION herald."${own}"`));
    }
  }
}

/** The renames, the partitioned table and the ATTACH, in the caller's transaction (the old table locked). */
async function switchToPartitioned(client: pg.Client, spec: PartitionedTable, legacy: string, at: number, primaryKeyIndex: string | null): Promise<void> {
  const { table } = spec;
  // The table's triggers (the inbox's notify, the outbox's: statement triggers with transition tables, which a
  // partition cannot have) move to the partitioned table: read as PostgreSQL prints them while they still name
  // the table by the name the partitioned table takes, dropped from the old one, made again after.
  const triggers = await client.query<{ name: string; def: string }>(
    `SELECT tgname AS name, pg_get_triggerdef(oid) AS def FROM pg_trigger WHERE tgrelid = to_regclass($1) AND NOT tgisinternal ORDER BY tgname`,
    [`herald.${table}`],
  );
  await client.query(`ALTER TABLE herald.${table} RENAME TO ${legacy}`);
  // A partition's unique keys are its partitioned table's (which hold the time): the old table's give way, the
  // primary key to the one built for it. Left in place, an old unique key would refuse a row the partitioned
  // table accepts (a Segment messageId first seen before the dedupe window) and fail its whole statement.
  await client.query(
    `DO $$ DECLARE key text; BEGIN
       FOR key IN SELECT conname FROM pg_constraint WHERE conrelid = 'herald.${legacy}'::regclass AND contype IN ('p', 'u') LOOP
         EXECUTE format('ALTER TABLE herald.${legacy} DROP CONSTRAINT %I', key);
       END LOOP;
     END $$`,
  );
  // Built beforehand, concurrently, and made the key here: ATTACH takes it as the partitioned table's primary
  // key's partition (else it would build one, under this lock).
  if (primaryKeyIndex) await client.query(`ALTER TABLE herald.${legacy} ADD CONSTRAINT ${legacy}_pkey PRIMARY KEY USING INDEX ${primaryKeyIndex}`);
  // Index names are the schema's: the old table's make way for the partitioned table's.
  const old = await client.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = to_regclass($1) AND NOT i.indisprimary ORDER BY c.relname`,
    [`herald.${legacy}`],
  );
  for (const [n, { name }] of old.rows.entries()) await client.query(`ALTER INDEX herald."${name}" RENAME TO ${legacy}_${n + 1}`);
  for (const { name } of triggers.rows) await client.query(`DROP TRIGGER "${name.replaceAll('"', '""')}" ON herald.${legacy}`);
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
  for (const { def } of triggers.rows) await client.query(def);
  // The valid bound constraint proves every row fits: ATTACH reads none of them.
  // (Kept when empty too: it is where a row dated before the first day goes, rather than failing.)
  await client.query(`ALTER TABLE herald.${table} ATTACH PARTITION herald.${legacy} FOR VALUES FROM (MINVALUE) TO (${literal(at)})`);
}

async function existingIndexes(client: pg.Client, table: string): Promise<{ name: string; shape: string; valid: boolean }[]> {
  const result = await client.query<{ name: string; unique: boolean; def: string; valid: boolean }>(
    `SELECT c.relname AS name, i.indisunique AS unique, pg_get_indexdef(i.indexrelid) AS def, i.indisvalid AS valid
     FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = to_regclass($1)`,
    [`herald.${table}`],
  );
  return result.rows.map((r) => {
    const [, columns = '', where] = r.def.match(/USING btree \((.*?)\)(?: WHERE (.*))?$/) ?? [];
    return { name: r.name, shape: indexShape(r.unique, columns, where), valid: r.valid };
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

/** A table's partitions, oldest first. */
async function partitionsOf(client: SqlClient, table: string): Promise<Partition[]> {
  const bound = (side: 'FROM' | 'TO') => boundMs(`(regexp_match(pg_get_expr(c.relpartbound, c.oid), '${side} \\(''([^'']+)''\\)'))[1]`);
  const result = await client.query<{ name: string; from_ms: number | null; until_ms: number | null; minvalue: boolean; pending: boolean }>(
    `SELECT c.relname AS name, ${bound('FROM')} AS from_ms, ${bound('TO')} AS until_ms,
       pg_get_expr(c.relpartbound, c.oid) LIKE '%FROM (MINVALUE)%' AS minvalue, i.inhdetachpending AS pending
     FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = to_regclass($1)`,
    [`herald.${table}`],
  );
  return result.rows
    .map((r) => ({
      table,
      name: r.name,
      from: r.minvalue ? Number.NEGATIVE_INFINITY : r.from_ms,
      until: r.until_ms,
      detachPending: r.pending,
    }))
    .sort((a, b) => (a.until ?? Number.POSITIVE_INFINITY) - (b.until ?? Number.POSITIVE_INFINITY));
}

/** Today and the days ahead, each created apart and attached (ATTACH locks the partitioned table less than CREATE … PARTITION OF). */
async function createAhead(client: pg.Client, spec: PartitionedTable, now: number): Promise<string[]> {
  const existing = await partitionsOf(client, spec.table);
  const covered = (day: number) => existing.some((p) => p.from !== null && p.until !== null && p.from <= day && day < p.until);
  const created: string[] = [];
  const statements: string[] = [];
  // Every day from today on that no partition covers: a day dropped by hand is made again too.
  for (let day = dayOf(now); day <= dayOf(now) + DAYS_AHEAD * DAY_MS; day += DAY_MS) {
    if (covered(day)) continue;
    const name = `${spec.table}_p${dayName(day)}`;
    statements.push(
      // A table of that name left detached (by hand) is attached again, its rows checked against the day.
      `CREATE TABLE IF NOT EXISTS herald.${name} (LIKE herald.${spec.table} INCLUDING DEFAULTS INCLUDING STORAGE)`,
      `ALTER TABLE herald.${spec.table} ATTACH PARTITION herald.${name} FOR VALUES FROM (${literal(day)}) TO (${literal(day + DAY_MS)})`,
    );
    created.push(name);
  }
  // One round trip: a simple query of several statements is one transaction.
  if (statements.length) await briefly(client, () => client.query(statements.join(';\n')));
  return created;
}

/**
 * Partitions wholly before `cutoff`: detached without blocking the table's readers and writers, then dropped.
 * A detach or a drop cut short (the process died) is finished first: a pending detach blocks every other one.
 */
async function dropExpired(client: pg.Client, spec: PartitionedTable, cutoff: number): Promise<string[]> {
  const dropped: string[] = [];
  const partitions = await partitionsOf(client, spec.table);
  for (const pending of partitions.filter((p) => p.detachPending)) {
    await client.query(`ALTER TABLE herald.${spec.table} DETACH PARTITION herald."${pending.name}" FINALIZE`);
  }
  for (const partition of partitions) {
    if (partition.until === null || partition.until > cutoff) continue;
    if (!partition.detachPending) await client.query(`ALTER TABLE herald.${spec.table} DETACH PARTITION herald."${partition.name}" CONCURRENTLY`);
    await client.query(`DROP TABLE herald."${partition.name}"`);
    dropped.push(partition.name);
  }
  // A drop cut short leaves a detached day behind: no partition of anything, named as ours, past the cutoff.
  const leftovers = await client.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'herald' AND c.relkind = 'r' AND NOT c.relispartition AND c.relname ~ $1`,
    [`^${spec.table}_(p|before_)\\d{8}$`],
  );
  for (const { name } of leftovers.rows) {
    const day = Date.parse(`${name.slice(-8, -4)}-${name.slice(-4, -2)}-${name.slice(-2)}T00:00:00Z`);
    // A day table ends the day after its name's; a before_ table ends at its name's day.
    const until = name.includes('_before_') ? day : day + DAY_MS;
    if (Number.isFinite(until) && until <= cutoff) {
      await client.query(`DROP TABLE herald."${name}"`);
      dropped.push(name);
    }
  }
  return dropped;
}
