/**
 * What the dashboard reads, shaped for its pages. Statements come from db/sql.ts (the "dashboard" section
 * and the runtime's own); nothing here writes.
 */
import { z } from 'zod';
import type { Bundle, Channel } from '../../compiler/bundle/schema.ts';
import * as sql from '../db/sql.ts';
import { exec, one, rows, type SqlClient } from '../db/sql-client.ts';
import { loadUserSnapshot } from '../execution/snapshot.ts';
import { resolvePreference } from '../engine/index.ts';
import type { UserSnapshot } from '../engine/index.ts';
import { encodeCursor } from './filters.ts';
import { offeredChannels } from '../preferences/view.ts';

/**
 * Status counts look at most this many of the newest matching messages: bounded work on any table size (the
 * page polls them every 5 s; 10,000 index entries and their rows are a few milliseconds, 100,000 were most of
 * a page's time at 20 million messages).
 */
export const COUNT_CAP = 10_000;
/** Step counts on the workflow page cover this many of its newest runs, from the last week. */
export const STEP_COUNT_RUNS = 10_000;
export const STEP_COUNT_WINDOW_MS = 7 * 86_400_000;

const isUuid = (value: string) => z.uuid().safeParse(value).success;

/** Anything that runs a transaction: the pool (db/pool.ts). */
export interface Transactional {
  transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T>;
}

/** Runs the list's reads with plans made for their values (see sql.dashboardCustomPlans). */
export function withCustomPlans<T>(db: Transactional, fn: (tx: SqlClient) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await exec(tx, sql.dashboardCustomPlans());
    return fn(tx);
  });
}

export interface MessagePage {
  rows: sql.DashboardMessageListRow[];
  /** Cursor of the next page; null on the last one. */
  next: string | null;
}

/** One page; a row more is read to know whether another page follows (no empty last page). */
export async function messagePage(db: SqlClient, filter: sql.DashboardMessageFilter, after: sql.DashboardKeyset | null, limit: number): Promise<MessagePage> {
  const found = await rows<sql.DashboardMessageListRow>(db, sql.dashboardMessagesPage(filter, after, limit + 1));
  const page = found.slice(0, limit);
  const last = page[page.length - 1];
  return { rows: page, next: found.length > limit && last ? encodeCursor({ at: last.cursor_at, id: last.id }) : null };
}

export interface StatusCounts {
  byStatus: Record<string, number>;
  total: number;
  /** True when the cap was reached: the counts are of the newest COUNT_CAP matches only. */
  capped: boolean;
}

export async function statusCounts(db: SqlClient, filter: sql.DashboardMessageFilter, cap = COUNT_CAP): Promise<StatusCounts> {
  const found = await rows<{ status: string; n: number }>(db, sql.dashboardStatusCounts(filter, cap));
  const byStatus = Object.fromEntries(found.map((r) => [r.status, r.n]));
  const total = found.reduce((sum, r) => sum + r.n, 0);
  return { byStatus, total, capped: total >= cap };
}

export async function messageById(db: SqlClient, id: string): Promise<sql.MessageRow | undefined> {
  return isUuid(id) ? one<sql.MessageRow>(db, sql.messageById(id)) : undefined;
}

export async function runWithMessages(db: SqlClient, id: string): Promise<{ run: sql.RunRow; messages: sql.MessageRow[] } | undefined> {
  if (!isUuid(id)) return undefined;
  const run = await one<sql.RunRow>(db, sql.runById(id));
  if (!run) return undefined;
  return { run, messages: await rows<sql.MessageRow>(db, sql.messagesOfRun(run)) };
}

/** A profile row as `SELECT * FROM herald.users` returns it. */
export interface UserRow {
  id: string;
  email: string | null;
  phone_number: string | null;
  push_tokens: string[];
  locale: string | null;
  timezone: string | null;
  traits: Record<string, unknown>;
  sms_opt_out: boolean;
  last_active_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface PreferenceCell {
  allowed: boolean;
  rule: string;
}
export interface PreferenceRow {
  category: string;
  description: string;
  required: boolean;
  /** Every channel the bundle offers (offeredChannels). */
  channels: Partial<Record<Channel, PreferenceCell>>;
}

export interface UserView {
  profile: UserRow | undefined;
  snapshot: UserSnapshot;
  /** Every category of the live bundle × every channel: what a send would be allowed, and by which rule. */
  preferences: PreferenceRow[];
}

export async function userView(db: SqlClient, bundle: Bundle | null, userId: string): Promise<UserView> {
  const [profile, snapshot] = await Promise.all([one<UserRow>(db, sql.userById(userId)), loadUserSnapshot(db, userId)]);
  const preferences = Object.values(bundle?.categories ?? {}).map((category) => ({
    category: category.id,
    description: category.description,
    required: category.required,
    channels: Object.fromEntries(offeredChannels(bundle!).map((channel) => [channel, resolvePreference(bundle!, category.id, channel, snapshot)])),
  }));
  return { profile, snapshot, preferences };
}

export interface WorkflowStats {
  /** Step id → runs (of those counted) whose history reached it. */
  passed: Map<string, number>;
  /** How many runs the step counts cover, and since when. */
  counted: number;
  since: Date;
  /** Step id → runs in flight waiting there. */
  waiting: Map<string, number>;
  inFlight: sql.DashboardRunInFlightRow[];
  bundles: sql.DashboardBundleRow[];
}

export async function workflowStats(db: SqlClient, workflow: string, now: number): Promise<WorkflowStats> {
  const since = new Date(now - STEP_COUNT_WINDOW_MS);
  const [steps, waiting, inFlight, bundles] = await Promise.all([
    rows<{ step_id: string | null; runs: number }>(db, sql.dashboardStepCounts(workflow, since, STEP_COUNT_RUNS)),
    rows<{ step_id: string | null; runs: number }>(db, sql.dashboardWaitingByStep(workflow)),
    rows<sql.DashboardRunInFlightRow>(db, sql.dashboardRunsInFlight(workflow, 50)),
    rows<sql.DashboardBundleRow>(db, sql.dashboardBundleVersions(workflow, 50)),
  ]);
  const passed = new Map<string, number>();
  let counted = 0;
  for (const row of steps) {
    if (row.step_id === null) counted = row.runs;
    else passed.set(row.step_id, row.runs);
  }
  const waitingAt = new Map<string, number>();
  for (const row of waiting) if (row.step_id !== null) waitingAt.set(row.step_id, row.runs);
  return { passed, counted, since, waiting: waitingAt, inFlight, bundles };
}
