/**
 * Reads of the message log at scale, through a running `herald start` process's HTTP API (each request one
 * at a time, so a figure is one read's own latency): the dashboard's message list as its page polls it
 * (`GET /dashboard/api/messages`: the keyset page, sql.dashboardMessagesPage, and the status counts,
 * sql.dashboardStatusCounts, in one transaction) unfiltered and filtered, and one user's timeline
 * (`GET /v1/users/:id/messages`, sql.messagesOfUser). The list's two statements are also timed alone, on a
 * connection of the bench's own, to say which of them a slow page spends its time in; and so are the two
 * lookups of one message: by its id (sql.messageById: the UUIDv7's time names the partition) and by the
 * provider's id, as a delivery webhook finds its message (sql.lockMessageByProviderId: an index probe in
 * every partition kept).
 */
import type pg from 'pg';
import { api, type Cluster } from './cluster.ts';
import * as sql from '../runtime/db/sql.ts';
import { COUNT_CAP } from '../runtime/dashboard/queries.ts';
import { messageQuerySchema, toFilter } from '../runtime/dashboard/filters.ts';
import { summary } from './stats.ts';

/**
 * The dashboard's filters measured, as its query string: none (the first page: the last 24 hours), the rarer
 * ones a person looks for, and the whole log (`range=all`: every day kept).
 */
export const DASHBOARD_FILTERS: Record<string, Record<string, string>> = {
  firstPage: {},
  failed: { status: 'failed' },
  workflowAndChannel: { workflow: 'payment-failed', channel: 'sms' },
  oneUser: { user: 'u4242' },
  anyTime: { range: 'all' },
};

const query = (f: Record<string, string>) => new URLSearchParams(f).toString();
/** The filter the dashboard's list reads for that query string, now. */
const filterOf = (f: Record<string, string>) => toFilter(messageQuerySchema.parse(f), Date.now());

type Latency = ReturnType<typeof summary>;

/** `samples` calls one after the other (after `warmUp` untimed ones), each timed to its parsed answer. */
async function timed(samples: number, warmUp: number, call: (i: number) => Promise<unknown>): Promise<Latency> {
  for (let i = 0; i < warmUp; i++) await call(-1 - i);
  const latencies: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t0 = performance.now();
    await call(i);
    latencies.push(performance.now() - t0);
  }
  return summary(latencies);
}

export interface Reads {
  samples: number;
  /** Through the API, by filter; `timeline` is GET /v1/users/:id/messages for a different random user each time. */
  http: Record<string, Latency>;
  /** The list's statements alone (custom plans, as the dashboard runs them): the page, and the status counts over the newest COUNT_CAP. */
  statements: Record<string, { page: Latency; statusCounts: Latency }>;
  /** One message, a random one each time: by id, and by the provider's id (locked, in a transaction, as the webhook does). */
  lookups: { byId: Latency; byProviderId: Latency } | null;
}

/** Times the reads against `cluster`'s first process; `users` is how many profiles the timeline picks from. */
export async function measureReads(cluster: Cluster, options: { samples: number; users: number }): Promise<Reads> {
  const url = cluster.urls[0]!;
  const warmUp = Math.max(5, Math.round(options.samples / 10));
  const http: Record<string, Latency> = {};
  for (const [name, filter] of Object.entries(DASHBOARD_FILTERS)) {
    http[`dashboard.${name}`] = await timed(options.samples, warmUp, () => api(url, 'GET', `/dashboard/api/messages?${query(filter)}`));
  }
  http.timeline = await timed(options.samples, warmUp, () => api(url, 'GET', `/v1/users/u${Math.floor(Math.random() * options.users)}/messages`));
  // The statements alone only say where a page's time goes: a quarter of the samples (a rare filter's counts take a second each at 15M messages).
  const fewer = Math.max(20, Math.round(options.samples / 4));
  const statements: Reads['statements'] = {};
  for (const [name, filter] of Object.entries(DASHBOARD_FILTERS)) {
    statements[name] = {
      page: await timed(fewer, 5, () => inCustomPlans(cluster.db, sql.dashboardMessagesPage(filterOf(filter), null, 51))),
      statusCounts: await timed(fewer, 5, () => inCustomPlans(cluster.db, sql.dashboardStatusCounts(filterOf(filter), COUNT_CAP))),
    };
  }
  // Messages to look up, from all over the log: a sample of pages (TABLESAMPLE SYSTEM) sized to give a few times as many as needed.
  const wanted = options.samples + warmUp;
  const estimate = await cluster.db.query<{ rows: number }>(
    `SELECT coalesce(sum(greatest(c.reltuples, 0)), 0)::float8 AS rows FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'herald.messages'::regclass`,
  );
  const percent = Math.min(100, (100 * 20 * wanted) / Math.max(1, estimate.rows[0]!.rows));
  const sample = await cluster.db.query<{ id: string; provider_message_id: string }>(
    `SELECT id::text, provider_message_id FROM herald.messages TABLESAMPLE SYSTEM ($1) WHERE provider_message_id IS NOT NULL ORDER BY random() LIMIT $2`,
    [percent, wanted],
  );
  const picks = sample.rows;
  const pick = (i: number) => picks[((i % picks.length) + picks.length) % picks.length]!;
  const byId = (i: number) => {
    const statement = sql.messageById(pick(i).id);
    return cluster.db.query(statement.text, statement.values);
  };
  const lookups = picks.length
    ? {
        byId: await timed(options.samples, warmUp, byId),
        byProviderId: await timed(options.samples, warmUp, (i) => inTransaction(cluster.db, sql.lockMessageByProviderId(pick(i).provider_message_id))),
      }
    : null;
  return { samples: options.samples, http, statements, lookups };
}

type Statement = { text: string; values: unknown[] };

/** One statement in a transaction (rolled back), after `setup`. */
async function inTransaction(db: pg.Client, statement: Statement, setup: Statement[] = []): Promise<void> {
  await db.query('BEGIN');
  try {
    for (const s of setup) await db.query(s.text, s.values);
    await db.query(statement.text, statement.values);
  } finally {
    await db.query('ROLLBACK');
  }
}

/** One statement with the dashboard's plan setting (sql.dashboardCustomPlans), as its list runs it. */
const inCustomPlans = (db: pg.Client, statement: Statement) => inTransaction(db, statement, [sql.dashboardCustomPlans()]);
