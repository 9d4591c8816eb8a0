/**
 * Turning what arrives into runs and facts: an event starts the workflows it triggers and is routed to the
 * user's runs that wait for it or are cancelled by it; an engagement wakes the run of its message. Every
 * job is created in the caller's transaction: when the API answers 202, the work is in Postgres.
 */
import type { Bundle, JsonValue, Step, Workflow } from '../../compiler/bundle/schema.ts';
import * as sql from '../db/sql.ts';
import { rows, type SqlClient } from '../db/sql-client.ts';
import { createRun } from '../engine/index.ts';
import type { EngagementKind } from '../engine/types.ts';
import type { DriverDeps } from './context.ts';
import { sendFact } from './queue.ts';

export interface StartInput {
  bundle: Bundle;
  workflows: Workflow[];
  /** One id per workflow, made by the caller so it can log them with the event in the same statement. */
  runIds: string[];
  userId: string | null;
  recipient: Record<string, unknown> | null;
  data: Record<string, JsonValue>;
  triggerEvent: string | null;
}

export async function startRuns(deps: DriverDeps, tx: SqlClient, input: StartInput): Promise<string[]> {
  const ids: string[] = [];
  for (const [i, workflow] of input.workflows.entries()) {
    const runId = input.runIds[i]!;
    const state = createRun({ runId, workflow, bundleVersion: input.bundle.version, userId: input.userId, data: input.data });
    const insert = sql.insertRun({
      id: runId,
      workflow: workflow.id,
      bundleVersion: input.bundle.version,
      userId: input.userId,
      recipient: input.recipient,
      status: 'running',
      state,
      triggerEvent: input.triggerEvent,
    });
    // Already there (a retried scheduled slot): its start job went with it.
    if ((await tx.query(insert.text, insert.values)).rows.length === 0) continue;
    await sendFact(deps.boss, { runId, fact: { type: 'start', now: deps.now() } }, { client: tx });
    ids.push(runId);
  }
  return ids;
}

const waitsCache = new WeakMap<Workflow, Set<string>>();

/** The event names a workflow's waitFor steps wait for, in any branch. */
function awaitedEvents(workflow: Workflow): Set<string> {
  let names = waitsCache.get(workflow);
  if (!names) {
    names = new Set();
    const walk = (steps: Step[]) => {
      for (const step of steps) {
        if (step.kind === 'waitFor' && step.until.type === 'event') names!.add(step.until.event);
        if (step.kind === 'branch') {
          for (const arm of step.arms) walk(arm.steps);
          walk(step.otherwise);
        }
      }
    };
    walk(workflow.steps);
    waitsCache.set(workflow, names);
  }
  return names;
}

/** Sends an `event` fact to each of the user's active runs that waits for the event or is cancelled by it. */
export async function routeEvent(deps: DriverDeps, tx: SqlClient, input: { userId: string; event: string; data: Record<string, JsonValue>; exclude: string[] }): Promise<string[]> {
  const active = await rows<{ id: string; workflow: string; bundle_version: string }>(tx, sql.activeRunsOfUser(input.userId));
  const routed: string[] = [];
  for (const run of active) {
    if (input.exclude.includes(run.id)) continue;
    const workflow = (await deps.bundles.get(tx, run.bundle_version)).workflows[run.workflow];
    if (!workflow || !(workflow.cancelOn.includes(input.event) || awaitedEvents(workflow).has(input.event))) continue;
    await sendFact(deps.boss, { runId: run.id, fact: { type: 'event', now: deps.now(), event: input.event, data: input.data } }, { client: tx });
    routed.push(run.id);
  }
  return routed;
}

/** Status order: a message's status only moves forward (a late `delivered` never hides an `opened`). */
const RANK: Record<string, number> = { queued: 0, failed: 1, sent: 2, delivered: 3, opened: 4, clicked: 5 };

export async function recordEngagement(
  deps: DriverDeps,
  tx: SqlClient,
  message: sql.MessageRow,
  kind: EngagementKind,
  detail: Record<string, JsonValue>,
): Promise<sql.MessageRow> {
  const status = (RANK[kind] ?? 0) > (RANK[message.status] ?? 0) ? kind : message.status;
  const update = sql.appendMessageStatus(message.id, status, { status: kind, at: new Date(deps.now()).toISOString(), ...detail });
  const [row] = await rows<sql.MessageRow>(tx, update);
  await sendFact(deps.boss, { runId: message.run_id, fact: { type: 'engagement', now: deps.now(), stepId: message.step_id, kind } }, { client: tx });
  return row!;
}
