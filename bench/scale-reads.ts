/**
 * Reads of the message log at scale, through a running `herald start` process's HTTP API (each request one
 * at a time, so a figure is one read's own latency): the dashboard's message list as its page polls it
 * (`GET /dashboard/api/messages`: the keyset page, sql.dashboardMessagesPage, and the status counts,
 * sql.dashboardStatusCounts, in one transaction) unfiltered and filtered, and one user's timeline
 * (`GET /v1/users/:id/messages`, sql.messagesOfUser). The list's two statements are also timed alone, on a
 * connection of the bench's own, to say which of them a slow page spends its time in.
 */
import type pg from 'pg';
import { api, type Cluster } from './cluster.ts';
import * as sql from '../runtime/db/sql.ts';
import { COUNT_CAP } from '../runtime/dashboard/queries.ts';
import { summary } from './stats.ts';

/** The dashboard's filters measured: none (the first page), and the rarer ones a person looks for. */
export const DASHBOARD_FILTERS: Record<string, sql.DashboardMessageFilter> = {
  firstPage: {},
  failed: { status: 'failed' },
  workflowAndChannel: { workflow: 'payment-failed', channel: 'sms' },
  oneUser: { user: 'u4242' },
};

/** A filter as the dashboard's query string. */
const query = (f: sql.DashboardMessageFilter) => new URLSearchParams(Object.entries(f).map(([k, v]) => [k, String(v)])).toString();

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
  const statements: Reads['statements'] = {};
  for (const [name, filter] of Object.entries(DASHBOARD_FILTERS)) {
    statements[name] = {
      page: await timed(options.samples, warmUp, () => inCustomPlans(cluster.db, sql.dashboardMessagesPage(filter, null, 51))),
      statusCounts: await timed(options.samples, warmUp, () => inCustomPlans(cluster.db, sql.dashboardStatusCounts(filter, COUNT_CAP))),
    };
  }
  return { samples: options.samples, http, statements };
}

/** One statement in a transaction with the dashboard's plan setting (sql.dashboardCustomPlans). */
async function inCustomPlans(db: pg.Client, statement: { text: string; values: unknown[] }): Promise<void> {
  await db.query('BEGIN');
  try {
    await db.query(sql.dashboardCustomPlans().text);
    await db.query(statement.text, statement.values);
  } finally {
    await db.query('ROLLBACK');
  }
}
