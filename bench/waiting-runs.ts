/**
 * Many runs waiting in a delay, made in SQL: starting a million through the API would take most of an hour.
 * Each copy is made from one real waiting run the runtime wrote (its herald.runs row, its state JSON with the
 * run and user ids replaced) and that run's deferred pg-boss job (its pgboss.job row, `data.runId` pointing
 * at the copy, due 1–24 h from now). Columns are read from the catalog, so a column pg-boss or the runtime adds
 * later is copied too rather than left to its default.
 */
import type pg from 'pg';

export interface WaitingTemplate {
  runId: string;
  userId: string;
}

async function columnsOf(db: pg.Client, schema: string, table: string): Promise<string[]> {
  const { rows } = await db.query<{ column_name: string }>(
    `SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 AND is_generated = 'NEVER' ORDER BY ordinal_position`,
    [schema, table],
  );
  if (rows.length === 0) throw new Error(`no table ${schema}.${table}`);
  return rows.map((r) => r.column_name);
}

/** The select list, in the columns' order: the override when there is one, else the template's value. */
function select(columns: string[], alias: string, overrides: Record<string, string>): string {
  return columns.map((c) => `${overrides[c] ?? `${alias}.${c}`}`).join(', ');
}

/** One statement: `count` runs (numbered from `from`) and their deferred jobs. */
function insertChunk(runColumns: string[], jobColumns: string[], from: number, count: number): string {
  const runs = select(runColumns, 't', {
    id: 'w.id',
    user_id: 'w.user_id',
    state: 'replace(replace(t.state::text, $1, w.id::text), $2, w.user_id)::jsonb',
    created_at: 'now()',
    updated_at: 'now()',
  });
  const jobs = select(jobColumns, 'tj', {
    id: 'gen_random_uuid()',
    data: "jsonb_set(tj.data, '{runId}', to_jsonb(r.id::text))",
    start_after: 'r.due',
    created_on: 'now()',
    keep_until: 'r.due + (tj.keep_until - tj.start_after)',
  });
  return `
    WITH w AS (
      SELECT gen_random_uuid() AS id, 'waiting-' || n AS user_id FROM generate_series(${from}, ${from + count - 1}) n
    ), r AS (
      INSERT INTO herald.runs (${runColumns.join(', ')})
      SELECT ${runs} FROM w, herald.runs t WHERE t.id = $1::uuid
      RETURNING id, now() + interval '1 hour' + random() * interval '23 hours' AS due
    )
    INSERT INTO pgboss.job (${jobColumns.join(', ')})
    SELECT ${jobs} FROM r, pgboss.job tj WHERE tj.id = $3::uuid`;
}

/** The template run's deferred job: the one still to come for it. */
async function deferredJobOf(db: pg.Client, runId: string): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    `SELECT id FROM pgboss.job WHERE name = 'herald-run' AND state = 'created' AND start_after > now() AND data->>'runId' = $1`,
    [runId],
  );
  if (rows.length !== 1) throw new Error(`the template run ${runId} has ${rows.length} deferred jobs, not one`);
  return rows[0]!.id;
}

/** Inserts `count` waiting runs and their jobs, `chunk` per statement; returns the seconds it took. */
export async function insertWaitingRuns(db: pg.Client, template: WaitingTemplate, count: number, chunk = 100_000): Promise<number> {
  const jobId = await deferredJobOf(db, template.runId);
  const runColumns = await columnsOf(db, 'herald', 'runs');
  const jobColumns = await columnsOf(db, 'pgboss', 'job');
  const t0 = performance.now();
  for (let from = 1; from <= count; from += chunk) {
    const n = Math.min(chunk, count - from + 1);
    await db.query(insertChunk(runColumns, jobColumns, from, n), [template.runId, template.userId, jobId]);
    process.stderr.write(`    ${from + n - 1} waiting runs\n`);
  }
  const seconds = (performance.now() - t0) / 1000;
  // As autovacuum would have by the time a million runs had piled up: statistics for the planner, a visibility map.
  await db.query('VACUUM ANALYZE herald.runs');
  await db.query(`VACUUM ANALYZE pgboss.${await jobTable(db)}`);
  return seconds;
}

/** The table pg-boss keeps the runtime's queue in (a partition of pgboss.job). */
export async function jobTable(db: pg.Client): Promise<string> {
  const { rows } = await db.query<{ table_name: string }>(`SELECT table_name FROM pgboss.queue WHERE name = 'herald-run'`);
  return rows[0]?.table_name ?? 'job';
}

export interface Sizes {
  databaseBytes: number;
  runsBytes: number;
  jobsBytes: number;
}

export async function sizes(db: pg.Client): Promise<Sizes> {
  const table = await jobTable(db);
  const { rows } = await db.query<{ database: string; runs: string; jobs: string }>(
    `SELECT pg_database_size(current_database()) AS database, pg_total_relation_size('herald.runs') AS runs, pg_total_relation_size('pgboss.${table}') AS jobs`,
  );
  const r = rows[0]!;
  return { databaseBytes: Number(r.database), runsBytes: Number(r.runs), jobsBytes: Number(r.jobs) };
}

/** Runs waiting, and their jobs still to come. */
export async function countWaiting(db: pg.Client): Promise<{ runs: number; deferredJobs: number }> {
  const { rows } = await db.query<{ runs: number; jobs: number }>(
    `SELECT (SELECT count(*)::int FROM herald.runs WHERE status = 'waiting') AS runs,
            (SELECT count(*)::int FROM pgboss.job WHERE name = 'herald-run' AND state = 'created' AND start_after > now()) AS jobs`,
  );
  return { runs: rows[0]!.runs, deferredJobs: rows[0]!.jobs };
}
