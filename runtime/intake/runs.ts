/**
 * Turning what arrives into runs and facts: an event starts the workflows it triggers and is routed to the
 * user's runs that wait for it or are cancelled by it. Every job is created in the caller's transaction:
 * when the API answers 202, the work is in Postgres.
 */
import type { Bundle, JsonValue, Workflow } from '../../compiler/bundle/schema.ts';
import { workflowIndex } from '../../compiler/bundle/workflow-index.ts';
import * as sql from '../db/sql.ts';
import { exec, one, rows, type SqlClient } from '../db/sql-client.ts';
import { createRun, eventReachesRun } from '../engine/index.ts';
import type { AcceptanceDeps } from '../execution/deps.ts';
import { sendFacts, startJob, type FactDelivery } from '../execution/queue.ts';
import type { RunDefinition } from '../execution/definition.ts';
import { matchKeysOf } from './match-keys.ts';

export interface StartInput {
  bundle: Bundle;
  workflows: Workflow[];
  /** One id per workflow, made by the caller (a scheduled slot's id makes its run once). */
  runIds: string[];
  userId: string | null;
  recipient: Record<string, unknown> | null;
  data: Record<string, JsonValue>;
  triggerEvent: string | null;
  /** Ad-hoc runs: the workflow (input.workflows holds it) and templates they carry (see definition.ts). */
  definition?: RunDefinition;
  /** Runs started by one request (several recipients) share its id. */
  requestId?: string;
  /** Runs started by a fan-out (runtime/recipients/) carry its id: its progress counts them. */
  fanoutId?: string;
  /** The tenant the runs send for (runtime/tenants): its brand, its default preferences, its inbox. */
  tenantId?: string | null;
}

/**
 * Whether the runs a transaction starts are started by this process right after it commits (local-starts.ts)
 * rather than by start jobs: only in a transaction of ours (it can say when it committed), with room here.
 */
function startsLocally(deps: AcceptanceDeps, tx: SqlClient, count: number): boolean {
  return count > 0 && !!deps.starts && !!tx.afterCommit && deps.starts.hasRoom(count);
}

/** How started runs get their first fact: handed to local starts at commit, or a start job each (into `facts`). */
function scheduleStarts(deps: AcceptanceDeps, tx: SqlClient, local: boolean, runIds: string[], facts: FactDelivery[]): void {
  if (runIds.length === 0) return;
  const acceptedAt = deps.now();
  if (local) tx.afterCommit!(() => deps.starts!.start(runIds, acceptedAt));
  else facts.push(...runIds.map((runId): FactDelivery => ({ job: startJob(runId, acceptedAt) })));
}

function newRuns(input: StartInput, startPending: boolean): sql.NewRun[] {
  return input.workflows.map((workflow, i) => {
    const id = input.runIds[i]!;
    return {
      id,
      workflow: workflow.id,
      bundle_version: input.bundle.version,
      user_id: input.userId,
      recipient: input.recipient,
      status: 'running',
      state: createRun({ runId: id, workflow, bundleVersion: input.bundle.version, userId: input.userId, data: input.data }),
      trigger_event: input.triggerEvent,
      definition: input.definition ?? null,
      request_id: input.requestId ?? null,
      start_pending: startPending,
      // Only when set: the rows of every other start stay as they were.
      ...(input.fanoutId ? { fanout_id: input.fanoutId } : {}),
      ...(input.tenantId ? { tenant_id: input.tenantId } : {}),
    };
  });
}

/** The ids of `runIds` that `inserted` holds, in the caller's order. */
function startedOf(runIds: string[], inserted: Set<string>): string[] {
  return runIds.filter((id) => inserted.has(id));
}

/**
 * Starts the runs (one statement) and schedules their first facts: at commit here, or as start jobs (another
 * statement). A run already there is left alone.
 */
export async function startRuns(deps: AcceptanceDeps, tx: SqlClient, input: StartInput): Promise<string[]> {
  return (await startManyRuns(deps, tx, [input]))[0]!;
}

/**
 * The runs of many starts (a fan-out's page: one start per recipient) in one statement, and their first facts
 * in at most one more; answers with each start's runs, as startRuns would.
 */
export async function startManyRuns(deps: AcceptanceDeps, tx: SqlClient, inputs: readonly StartInput[]): Promise<string[][]> {
  const local = startsLocally(
    deps,
    tx,
    inputs.reduce((n, input) => n + input.workflows.length, 0),
  );
  const inserted = await rows<{ id: string }>(
    tx,
    sql.insertRuns(
      inputs.flatMap((input) => newRuns(input, local)),
      inputs.flatMap(matchKeysOf),
    ),
  );
  // Already there (a retried scheduled slot): its start went with it.
  const ids = new Set(inserted.map((r) => r.id));
  const started = inputs.map((input) => startedOf(input.runIds, ids));
  const facts: FactDelivery[] = [];
  scheduleStarts(deps, tx, local, started.flat(), facts);
  await sendFacts(deps.boss, facts, { client: tx });
  return started;
}

export type EventAcceptance = { duplicate: true; runs: string[] } | { duplicate: false; runs: string[]; routed: string[] };

/** An event to accept: the workflows it triggers, with an id made for each run it would start. */
export type EventInput = Omit<StartInput, 'recipient' | 'triggerEvent'> & {
  userId: string;
  event: string;
  messageId: string | null;
  /** False: the event is logged (and starts `workflows`) but is not sent to its user's runs (an event from a client, see intake/events.ts). */
  feedsRuns?: boolean;
};

/**
 * Accepts a batch of events in one statement, and a second for the jobs when any are needed: each is logged, starts the workflows
 * it triggers, and is sent to each of its user's runs that waits for it or is cancelled by it — including runs
 * started by earlier events of the same batch, as if they had come one after the other. A retry of an event
 * already accepted (same messageId) changes nothing and answers with the first acceptance's runs.
 */
export async function acceptEvents(deps: AcceptanceDeps, tx: SqlClient, inputs: EventInput[]): Promise<EventAcceptance[]> {
  const local = startsLocally(
    deps,
    tx,
    inputs.reduce((n, input) => n + input.workflows.length, 0),
  );
  const runs = inputs.flatMap((input) => newRuns({ ...input, recipient: null, triggerEvent: input.event }, local));
  const events = inputs.map((i): sql.EventRow => ({ message_id: i.messageId, event: i.event, user_id: i.userId, properties: i.data, run_ids: i.runIds }));
  const keys = inputs.flatMap((i) => (i.messageId ? [i.messageId] : []));
  if (keys.length) await exec(tx, sql.lockDedupeKeys('event', keys));
  const matchKeys = inputs.flatMap(matchKeysOf);
  const row = (await one<{ kept: number[]; started: string[]; active: (ActiveRun & { user_id: string })[]; keyed: { n: number; run_id: string }[] }>(
    tx,
    sql.acceptEvents(events, runs, matchKeys),
  ))!;
  const kept = new Set(row.kept);
  const started = new Set(row.started);
  const retried = inputs.filter((_, i) => !kept.has(i + 1)).map((input) => input.messageId!);
  const prior = new Map(
    retried.length ? (await rows<{ message_id: string; run_ids: string[] }>(tx, sql.eventsByMessageId(retried))).map((r) => [r.message_id, r.run_ids]) : [],
  );
  const activeByUser = new Map<string, ActiveRun[]>();
  for (const run of row.active) activeByUser.set(run.user_id, [...(activeByUser.get(run.user_id) ?? []), run]);
  // Batch position → the runs whose match keys the event's data contains.
  const keyedBy = new Map<number, Set<string>>();
  for (const { n, run_id } of row.keyed) keyedBy.set(n, (keyedBy.get(n) ?? new Set()).add(run_id));

  const results: EventAcceptance[] = [];
  const facts: FactDelivery[] = [];
  for (const [i, input] of inputs.entries()) {
    if (!kept.has(i + 1)) {
      results.push({ duplicate: true, runs: prior.get(input.messageId!) ?? [] });
      continue;
    }
    const fresh = input.workflows
      .map((w, k): ActiveRun => ({ id: input.runIds[k]!, workflow: w.id, bundle_version: input.bundle.version, started: { workflow: w, data: input.data } }))
      .filter((r) => started.has(r.id));
    const runIds = fresh.map((r) => r.id);
    const active = activeByUser.get(input.userId) ?? [];
    const event = { name: input.event, data: input.data, keyed: keyedBy.get(i + 1) ?? new Set<string>() };
    const routed = input.feedsRuns === false ? [] : await routeTo(deps, tx, active, event);
    scheduleStarts(deps, tx, local, runIds, facts);
    facts.push(...routed.map((runId): FactDelivery => ({ job: { runId, fact: { type: 'event', now: deps.now(), event: input.event, data: input.data } } })));
    activeByUser.set(input.userId, [...active, ...fresh]);
    results.push({ duplicate: false, runs: runIds, routed });
  }
  await sendFacts(deps.boss, facts, { client: tx });
  return results;
}

/** Accepts one event (see acceptEvents). */
export async function acceptEvent(deps: AcceptanceDeps, tx: SqlClient, input: EventInput): Promise<EventAcceptance> {
  return (await acceptEvents(deps, tx, [input]))[0]!;
}

interface ActiveRun {
  id: string;
  workflow: string;
  bundle_version: string;
  /** A run started by an earlier event of the same batch: its match keys are not in the index's snapshot. */
  started?: { workflow: Workflow; data: Record<string, JsonValue> };
}

/**
 * Of a user's active runs, those that wait for the event or are cancelled by it: every run of a workflow with an
 * unkeyed listener for it, and the runs with a keyed one whose match keys the event's data contains (`keyed`,
 * found through the index; for runs this batch started, asked of the engine's own check).
 */
async function routeTo(
  deps: AcceptanceDeps,
  tx: SqlClient,
  active: ActiveRun[],
  event: { name: string; data: Record<string, JsonValue>; keyed: Set<string> },
): Promise<string[]> {
  const routed: string[] = [];
  for (const run of active) {
    const index = workflowIndex(await deps.bundles.get(tx, run.bundle_version));
    if (!index.listensTo(run.workflow, event.name)) continue;
    const reached =
      index.reachesEveryRun(run.workflow, event.name) ||
      event.keyed.has(run.id) ||
      (run.started !== undefined && eventReachesRun(run.started.workflow, event.name, event.data, run.started.data));
    if (reached) routed.push(run.id);
  }
  return routed;
}
