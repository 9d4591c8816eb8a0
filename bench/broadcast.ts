/**
 * A broadcast's fan-out (`npm run bench -- --only broadcast`): one `herald start` process sends a broadcast to a
 * list of 100,000 generated users (20,000 with --quick) through the sandbox provider. Figures, in the same run on
 * the same server:
 * - planning: recipients started per second by the fan-out's pages (send → fan-out done), with no rate set, and
 *   the database's write TPS meanwhile (pg_stat_database xact_commit of the run's database, delta per second: the
 *   pages' transactions and the runs' own, which start working as soon as their page commits);
 * - delivery: messages the sandbox took per second, send → last message;
 * - paced: a broadcast at `6000/min` (100/s) to 3,000 of them: starts and messages per second, overall and over
 *   the busiest 10 s, to show delivery bounded by the rate;
 * - baseline: a raw INSERT … SELECT of as many rows into a table shaped like herald.runs (its columns and indexes),
 *   the floor a fan-out's inserts cannot beat.
 * Users and list members are made by generate_series in SQL (seconds, not minutes). Target: planning ≥ 5,000/s.
 */
import type pg from 'pg';
import { PAGE_SIZE } from '../runtime/recipients/index.ts';
import type { Bundle } from '../compiler/bundle/schema.ts';
import { API_KEY, type Cluster, startCluster } from './cluster.ts';
import { buildBenchBundle, checkpoint } from './setup.ts';

const TREE = `import { broadcast, event, provider, template, z } from 'herald';

export const inbox = provider('bench-sandbox', { channel: 'email', kind: 'sandbox' });
export const announcement = event('announcement', { schema: z.object({}) });
export const note = template('bench-note', { data: announcement, email: { subject: 'News', text: 'Hello {{user.email}}' } });
export const everyone = broadcast('bench-everyone', { list: 'everyone', template: note, channel: 'email' });
export const paced = broadcast('bench-paced', { list: 'paced', template: note, channel: 'email', rate: '6000/min' });
`;

const PACED_MEMBERS = 3_000;
const PACED_PER_SECOND = 100;

export interface BroadcastBench {
  recipients: number;
  planning: { seconds: number; recipientsPerSecond: number; writeTps: number; pageSize: number; msPerPage: number };
  /** The same fan-out with delivery held back (one job in flight, no local starts): the pages' own pace. */
  planningAlone: { seconds: number; recipientsPerSecond: number; writeTps: number };
  delivery: { seconds: number; messagesPerSecond: number; writeTps: number };
  paced: {
    recipients: number;
    rate: string;
    seconds: number;
    startsPerSecond: number;
    messagesPerSecond: number;
    /** The most started, and sent, in any 10 s of the run, per second. */
    busiest10sStartsPerSecond: number;
    busiest10sMessagesPerSecond: number;
  };
  baseline: { rows: number; ms: number; rowsPerSecond: number };
  target: string;
}

const round = (n: number, digits = 0) => Math.round(n * 10 ** digits) / 10 ** digits;

async function commits(db: pg.Client): Promise<number> {
  const { rows } = await db.query<{ n: string }>('SELECT xact_commit AS n FROM pg_stat_database WHERE datname = current_database()');
  return Number(rows[0]!.n);
}

async function one(db: pg.Client, text: string, values: unknown[] = []): Promise<number> {
  const { rows } = await db.query<{ n: number }>(text, values);
  return rows[0]!.n;
}

async function send(url: string, broadcast: string): Promise<string> {
  const response = await fetch(`${url}/v1/broadcasts/${broadcast}/send`, {
    method: 'POST',
    headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
    body: '{}',
  });
  if (response.status !== 202) throw new Error(`send ${broadcast}: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { runId: string }).runId;
}

/** Polls `probe` every `everyMs` until `done`, keeping (time, value) samples. */
async function watch<T>(probe: () => Promise<T>, done: (value: T) => boolean, everyMs: number, timeoutMs: number): Promise<{ at: number; value: T }[]> {
  const samples: { at: number; value: T }[] = [];
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    samples.push({ at: performance.now(), value });
    if (done(value)) return samples;
    if (performance.now() > deadline) throw new Error(`bench broadcast: timed out (last: ${JSON.stringify(value)})`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** The largest increase of `pick` over any window of `windowMs`, per second. */
function busiest<T>(samples: { at: number; value: T }[], pick: (value: T) => number, windowMs: number): number {
  let best = 0;
  for (let i = 0, j = 0; i < samples.length; i++) {
    while (samples[i]!.at - samples[j]!.at > windowMs) j++;
    best = Math.max(best, pick(samples[i]!.value) - pick(samples[j]!.value));
  }
  return round(best / (windowMs / 1000), 1);
}

/** The users, the list of all of them and the paced list of the first PACED_MEMBERS, by generate_series. */
async function loadUsers(db: pg.Client, recipients: number): Promise<void> {
  await db.query(`INSERT INTO herald.users (id, email) SELECT 'u' || lpad(g::text, 7, '0'), 'u' || g || '@example.com' FROM generate_series(1, $1::int) g`, [
    recipients,
  ]);
  await db.query(`INSERT INTO herald.lists (id) VALUES ('everyone'), ('paced')`);
  await db.query(`INSERT INTO herald.list_members (list_id, user_id) SELECT 'everyone', id FROM herald.users`);
  await db.query(`INSERT INTO herald.list_members (list_id, user_id) SELECT 'paced', id FROM herald.users ORDER BY id LIMIT $1`, [PACED_MEMBERS]);
  await db.query('VACUUM ANALYZE herald.users');
  await db.query('VACUUM ANALYZE herald.list_members');
}

/** Sends `bench-everyone` and waits for its fan-out to be done: seconds and commits meanwhile. */
async function plan(cluster: Cluster): Promise<{ runId: string; ms: number; commits: number; started: number }> {
  const c0 = await commits(cluster.db);
  const t0 = performance.now();
  const runId = await send(cluster.urls[0]!, 'bench-everyone');
  await watch(
    () => one(cluster.db, `SELECT started AS n FROM herald.fanouts WHERE id = $1 AND status = 'done'`, [runId]).catch(() => 0),
    (n) => n > 0,
    50,
    600_000,
  );
  const ms = performance.now() - t0;
  return {
    runId,
    ms,
    commits: (await commits(cluster.db)) - c0,
    started: await one(cluster.db, 'SELECT started AS n FROM herald.fanouts WHERE id = $1', [runId]),
  };
}

/**
 * The fan-out with delivery held back: one job in flight (HERALD_WORKERS=1) and no local starts, so the pages have
 * the process (nearly) to themselves — the fan-out's own ceiling on this machine, next to the figure with delivery
 * running alongside.
 */
async function planningAlone(admin: string, bundle: Bundle, recipients: number): Promise<BroadcastBench['planningAlone']> {
  const env = { HERALD_LOG_LEVEL: 'warn', HERALD_WORKERS: '1', HERALD_LOCAL_STARTS: 'off' };
  const cluster = await startCluster({ admin, name: 'herald_bench_broadcast_alone', bundle, processes: 1, env });
  try {
    await loadUsers(cluster.db, recipients);
    await checkpoint(admin);
    const planned = await plan(cluster);
    return {
      seconds: round(planned.ms / 1000, 1),
      recipientsPerSecond: round(recipients / (planned.ms / 1000)),
      writeTps: round(planned.commits / (planned.ms / 1000)),
    };
  } finally {
    await cluster.stop();
  }
}

export async function benchBroadcast(admin: string, options: { quick: boolean }): Promise<BroadcastBench> {
  const recipients = options.quick ? 20_000 : 100_000;
  const bundle = await buildBenchBundle('broadcast', TREE);
  const alone = await planningAlone(admin, bundle, recipients);
  const cluster = await startCluster({ admin, name: 'herald_bench_broadcast', bundle, processes: 1, env: { HERALD_LOG_LEVEL: 'warn' } });
  const db = cluster.db;
  try {
    await loadUsers(db, recipients);

    // The floor: the same number of rows into a table shaped like runs, in one statement.
    await db.query('CREATE TABLE herald.bench_runs (LIKE herald.runs INCLUDING ALL)');
    await checkpoint(admin);
    const b0 = performance.now();
    await db.query(
      `INSERT INTO herald.bench_runs (id, workflow, bundle_version, user_id, status, state, fanout_id)
       SELECT gen_random_uuid(), 'broadcast:bench-everyone', $2, id, 'running', '{"cursor":0,"history":[]}'::jsonb, gen_random_uuid()
       FROM herald.users ORDER BY id LIMIT $1`,
      [recipients, bundle.version],
    );
    const baselineMs = performance.now() - b0;
    await db.query('DROP TABLE herald.bench_runs');
    await checkpoint(admin);

    // Planning and delivery at no rate.
    const c0 = await commits(db);
    const t0 = performance.now();
    const { ms: planMs, commits: planCommits, started } = await plan(cluster);
    const t1 = t0 + planMs;
    const c1 = c0 + planCommits;
    if (started !== recipients) throw new Error(`bench broadcast: started ${started} of ${recipients}`);
    const sentQuery = `SELECT count(*)::int AS n FROM herald.messages WHERE workflow = $1 AND status = 'sent'`;
    await watch(
      () => one(db, sentQuery, ['broadcast:bench-everyone']),
      (n) => n >= recipients,
      500,
      1_800_000,
    );
    const t2 = performance.now();
    const c2 = await commits(db);

    // Paced: starts and messages per second under the rate.
    const p0 = performance.now();
    const pacedId = await send(cluster.urls[0]!, 'bench-paced');
    const samples = await watch(
      async () => ({
        started: await one(db, 'SELECT started AS n FROM herald.fanouts WHERE id = $1', [pacedId]),
        sent: await one(db, sentQuery, ['broadcast:bench-paced']),
      }),
      (v) => v.sent >= PACED_MEMBERS,
      250,
      600_000,
    );
    const pacedSeconds = (performance.now() - p0) / 1000;
    const lastStart = samples.find((s) => s.value.started >= PACED_MEMBERS)!.at;

    return {
      recipients,
      planning: {
        seconds: round((t1 - t0) / 1000, 1),
        recipientsPerSecond: round(recipients / ((t1 - t0) / 1000)),
        writeTps: round((c1 - c0) / ((t1 - t0) / 1000)),
        pageSize: PAGE_SIZE,
        msPerPage: round((t1 - t0) / Math.ceil(recipients / PAGE_SIZE)),
      },
      planningAlone: alone,
      delivery: {
        seconds: round((t2 - t0) / 1000, 1),
        messagesPerSecond: round(recipients / ((t2 - t0) / 1000)),
        writeTps: round((c2 - c0) / ((t2 - t0) / 1000)),
      },
      paced: {
        recipients: PACED_MEMBERS,
        rate: `6000/min (${PACED_PER_SECOND}/s)`,
        seconds: round(pacedSeconds, 1),
        startsPerSecond: round(PACED_MEMBERS / ((lastStart - p0) / 1000), 1),
        messagesPerSecond: round(PACED_MEMBERS / pacedSeconds, 1),
        busiest10sStartsPerSecond: busiest(samples, (v) => v.started, 10_000),
        busiest10sMessagesPerSecond: busiest(samples, (v) => v.sent, 10_000),
      },
      baseline: { rows: recipients, ms: round(baselineMs), rowsPerSecond: round(recipients / (baselineMs / 1000)) },
      target: 'planning ≥ 5,000 recipients/s at no rate; at a set rate, starts and messages per second at or under it',
    };
  } finally {
    await cluster.stop();
  }
}
