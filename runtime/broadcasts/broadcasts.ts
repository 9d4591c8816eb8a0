/**
 * A broadcast sent: one fan-out (runtime/recipients) of the broadcast's workflow (`broadcast:<id>`) over its
 * audience or list, at its rate, from `scheduledAt` on. Its progress is the fan-out's row and the outcome of
 * each run it started; cancelling stops the pages and, through the engine, every run not finished.
 */
import { broadcastWorkflow, broadcastWorkflowId, BROADCAST_WORKFLOW_PREFIX } from '../../compiler/bundle/broadcasts.ts';
import type { Broadcast, Bundle, FanoutRate, JsonValue } from '../../compiler/bundle/schema.ts';
import { rows, type SqlClient } from '../db/sql-client.ts';
import type { Database } from '../db/pool.ts';
import type { DriverDeps } from '../execution/deps.ts';
import { cancelFanout, cancelRunsChunk, createFanout, fanoutProgress, type FanoutDeps, type FanoutProgress } from '../recipients/index.ts';
import * as sql from './sql.ts';

export interface BroadcastSend {
  bundle: Bundle;
  broadcast: Broadcast;
  /** The first page waits until then; absent or past: now. */
  scheduledAt?: Date;
  /** Every run's trigger data (templates of a broadcast cannot read it; steps' conditions and the log can). */
  data?: Record<string, JsonValue>;
  tenant?: string | null;
}

/** The fan-out's starts per minute for a broadcast's rate (at least one a minute: a rate of `1/h` starts one per minute). */
export function ratePerMinute(rate: FanoutRate | undefined): number | null {
  if (!rate) return null;
  return Math.max(1, Math.floor((rate.max * 60_000) / rate.perMs));
}

/** Creates the broadcast's fan-out in `tx` (its first page job with it); answers its id (the broadcast run's id) and planned size. */
export async function sendBroadcast(fanouts: FanoutDeps, tx: SqlClient, send: BroadcastSend): Promise<{ id: string; planned: number }> {
  return createFanout(fanouts, tx, {
    kind: 'broadcast',
    source: send.broadcast.recipients,
    bundle: send.bundle,
    workflow: broadcastWorkflow(send.broadcast),
    data: send.data ?? {},
    tenant: send.tenant ?? null,
    ratePerMinute: ratePerMinute(send.broadcast.rate),
    ...(send.scheduledAt ? { notBefore: send.scheduledAt } : {}),
  });
}

export type SkipReasons = Record<string, number>;

export interface BroadcastProgress {
  runId: string;
  broadcast: string;
  /** running: pages still to start; done: every recipient started (their sends may still wait for a window); cancelled. */
  status: FanoutProgress['status'];
  planned: number;
  started: number;
  /** Recipients a provider took a message for. */
  sent: number;
  /** Recipients nothing was sent to, by the reason of their last skipped message (preference, frequency_cap, …). */
  skipped: number;
  skippedBy: SkipReasons;
  failed: number;
  /** Runs cancelled (by the broadcast's cancel, a user's deletion, …) before anything was sent. */
  cancelled: number;
  /** Started, nothing decided yet: waiting for their send window, or their turn. */
  pending: number;
  createdAt: string;
  finishedAt: string | null;
}

/** A broadcast run's progress, or null when `id` is no broadcast's fan-out. */
export async function broadcastProgress(db: SqlClient, id: string): Promise<BroadcastProgress | null> {
  const fanout = await fanoutProgress(db, id);
  if (fanout?.kind !== 'broadcast') return null;
  const outcomes = await rows<sql.OutcomeRow>(db, sql.fanoutOutcomes(id, new Date(fanout.createdAt)));
  const count = (outcome: sql.OutcomeRow['outcome']) => outcomes.filter((o) => o.outcome === outcome).reduce((n, o) => n + o.n, 0);
  const skippedBy: SkipReasons = Object.create(null);
  for (const o of outcomes) if (o.outcome === 'skipped') skippedBy[o.reason ?? 'unknown'] = (skippedBy[o.reason ?? 'unknown'] ?? 0) + o.n;
  return {
    runId: fanout.id,
    broadcast: fanout.workflow.startsWith(BROADCAST_WORKFLOW_PREFIX) ? fanout.workflow.slice(BROADCAST_WORKFLOW_PREFIX.length) : fanout.workflow,
    status: fanout.status,
    planned: fanout.planned,
    started: fanout.started,
    sent: count('sent'),
    skipped: count('skipped'),
    skippedBy,
    failed: count('failed'),
    cancelled: count('cancelled'),
    pending: count('pending'),
    createdAt: fanout.createdAt,
    finishedAt: fanout.finishedAt,
  };
}

/** The newest broadcast runs with their progress, newest first (the dashboard's list: a few dozen at most). */
export async function recentBroadcasts(db: SqlClient, limit: number): Promise<BroadcastProgress[]> {
  const fanouts = await rows<{ id: string }>(db, sql.recentBroadcastFanouts(limit));
  const progress: BroadcastProgress[] = [];
  for (const f of fanouts) {
    const p = await broadcastProgress(db, f.id);
    if (p) progress.push(p);
  }
  return progress;
}

/**
 * Stops a broadcast: its fan-out first (no page starts after this commits; a page in flight finishes first, as it
 * holds the fan-out's lock), then every run it started that has not finished (recipients/cancel-runs.ts): the
 * first chunk here, so a small broadcast answers with all of them cancelled (`cancelling: false`), the rest by jobs
 * (`cancelling: true`; the progress read then shows them go). A message already handed to a provider stays sent.
 * Null when `id` is no broadcast's fan-out.
 */
export async function cancelBroadcast(deps: { db: Database; driver: DriverDeps }, id: string): Promise<{ runsCancelled: number; cancelling: boolean } | null> {
  const progress = await fanoutProgress(deps.db, id);
  if (progress?.kind !== 'broadcast') return null;
  await deps.db.transaction((tx) => cancelFanout(tx, id));
  const chunk = await deps.db.transaction((tx) => cancelRunsChunk(deps.driver, tx, { fanoutId: id, after: null, reason: 'broadcast cancelled' }));
  return { runsCancelled: chunk.cancelled, cancelling: chunk.more };
}

/** The broadcast of the live bundle named `id`, or undefined (own keys only: the id comes from a path). */
export function broadcastOf(bundle: Bundle, id: string): Broadcast | undefined {
  return bundle.broadcasts && Object.hasOwn(bundle.broadcasts, id) ? bundle.broadcasts[id] : undefined;
}

export { broadcastWorkflowId };
