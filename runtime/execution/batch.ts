/**
 * A batch of fact jobs in one transaction: lock their runs (each user's snapshot read with it), feed each fact
 * to the engine, carry out its actions, feed their replies back, then save every run's new state with the
 * messages it logged and enqueue the timers it set — so states, jobs and messages commit together or not
 * at all. Round trips are what a job costs on this path, so a whole batch costs five: BEGIN, lock, enqueue,
 * save, COMMIT (one job alone, the same five). Runs of a batch advance concurrently (their provider calls
 * overlap); the facts of one run are applied in order.
 */
import type { Bundle, JsonValue } from '../../compiler/bundle/schema.ts';
import * as sql from '../db/sql.ts';
import { exec, one, rows, type SqlClient } from '../db/sql-client.ts';
import {
  type ActionHandlers,
  advance,
  carryOut,
  CorruptStateError,
  type Fact,
  isFinished,
  isStarted,
  type RunState,
  templateData,
  type UserSnapshot,
} from '../engine/index.ts';
import { hasKeys } from '../../compiler/bundle/match.ts';
import type { ExecutionDeps } from './deps.ts';
import { bundleWithDefinition } from './definition.ts';
import { deliver } from '../delivery/deliver.ts';
import { FrequencyLedger } from '../delivery/frequency.ts';
import { type ReceiptRow, type RunReceipts, runReceipts } from '../delivery/receipts.ts';
import { sendFacts, type FactDelivery, type FactJob } from './queue.ts';
import {
  loadUserSnapshot,
  type ProfileColumns,
  recipientSnapshot,
  type TenantColumns,
  type TenantSnapshot,
  tenantSnapshot,
  userSnapshot,
  withTenant,
} from './snapshot.ts';
import { throttledMessages } from './throttled.ts';
import { enqueueFetch } from './fetch-step.ts';

/** A run being advanced by a batch: its state, and what its facts logged and scheduled, saved with the batch. */
interface BatchRun {
  deps: ExecutionDeps;
  tx: SqlClient;
  run: sql.RunRow;
  bundle: Bundle;
  state: RunState;
  user: UserSnapshot;
  /** The run's tenant (runtime/tenants): its brand for renders; its defaults are in `user`. */
  tenant: TenantSnapshot | null;
  /** Messages logged while the run advanced, written with the run's state. */
  log: sql.MessageEntry[];
  /** Timers the run set, enqueued with the batch. */
  scheduled: FactDelivery[];
  /** Acceptances a batch before this one recorded for the run (a process died before its commit). */
  receipts: RunReceipts;
  /** The batch's count of sends under frequency caps, shared by its runs (delivery/frequency.ts). */
  frequency: FrequencyLedger;
  signal: AbortSignal | undefined;
}

/** The key digests and throttles count by: the user, or the direct recipient's address. */
function audienceKey(run: sql.RunRow): string {
  if (run.user_id) return run.user_id;
  const r = run.recipient ?? {};
  return `to:${String(r.email ?? r.phone_number ?? run.id)}`;
}

/** What the runtime does with each action, in the batch's transaction (the in-memory driver does the same in memory). */
const carriedOutInTransaction: ActionHandlers<BatchRun, Promise<Fact | null>> = {
  async schedule(batchRun, action) {
    batchRun.scheduled.push({ job: { runId: batchRun.run.id, fact: { type: 'timer', token: action.token, now: action.at } }, at: action.at });
    return null;
  },
  async send(batchRun, action, now) {
    const { deps, tx, run } = batchRun;
    const messages = await deliver(
      {
        tx,
        bundle: batchRun.bundle,
        runId: run.id,
        workflow: run.workflow,
        userId: run.user_id,
        data: templateData(batchRun.state),
        digest: batchRun.state.digest,
        user: batchRun.user,
        tenant: batchRun.tenant,
        providers: deps.providers,
        publicUrl: deps.publicUrl,
        links: deps.links,
        redact: deps.redact,
        now,
        clock: deps.now,
        log: batchRun.log,
        receipts: { left: batchRun.receipts, ...(deps.receipts ? { book: deps.receipts } : {}) },
        frequency: batchRun.frequency,
        ...(batchRun.signal ? { signal: batchRun.signal } : {}),
        ...(deps.observe?.message ? { onMessage: deps.observe.message } : {}),
      },
      action,
    );
    return { type: 'sendResult', now, stepId: action.stepId, messages };
  },
  async throttle(batchRun, action, now) {
    const { deps, tx, run } = batchRun;
    const key = { workflow: run.workflow, stepId: action.stepId, userId: audienceKey(run), key: action.key };
    await exec(tx, sql.lockThrottle(key));
    const result = await one<{ n: number; allowed: boolean }>(
      tx,
      sql.passThrottle({ ...key, runId: run.id, limit: action.limit, windowMs: action.windowMs, now: new Date(now) }),
    );
    const workflow = batchRun.bundle.workflows[run.workflow];
    if (!result!.allowed && workflow) {
      const held = throttledMessages({ workflow, userId: run.user_id }, { stepId: action.stepId, count: result!.n, limit: action.limit, now });
      batchRun.log.push(...held);
      for (const message of held) deps.observe?.message?.('skipped', message.channel);
    }
    return { type: 'throttleResult', now, stepId: action.stepId, allowed: result!.allowed, count: result!.n };
  },
  async digestJoin({ tx, run }, action, now) {
    const row = await one<{ owner_run: string }>(
      tx,
      sql.joinDigest({ workflow: run.workflow, stepId: action.stepId, userId: audienceKey(run), key: action.key, runId: run.id, item: action.item }),
    );
    return { type: 'digestResult', now, stepId: action.stepId, role: row!.owner_run === run.id ? 'owner' : 'joined' };
  },
  async digestCollect({ tx, run }, action, now) {
    const row = await one<{ items: JsonValue[] }>(
      tx,
      sql.closeDigest({ workflow: run.workflow, stepId: action.stepId, userId: audienceKey(run), key: action.key, runId: run.id }),
    );
    return { type: 'digestCollected', now, stepId: action.stepId, items: row?.items ?? [] };
  },
  async updateProfile(batchRun, action) {
    const { tx, run } = batchRun;
    if (!run.user_id) return null;
    for (const [path, value] of Object.entries(action.set)) {
      await exec(tx, sql.setProfilePath(run.user_id, path, value));
    }
    batchRun.user = withTenant(await loadUserSnapshot(tx, run.user_id), batchRun.tenant);
    return null;
  },
  async fetch({ deps, tx, run }, action) {
    // Performed outside this transaction, by the fetch queue's worker, which answers with a fetchResult job.
    await enqueueFetch(deps.boss, { runId: run.id, action }, tx);
    return null;
  },
  async finished({ deps }, action) {
    deps.observe?.runFinished?.(action.status);
    return null;
  },
};

/** Applies a run's facts in order: each fact, then the replies its actions produce, until the engine rests. */
async function applyFacts(batchRun: BatchRun, facts: Fact[]): Promise<void> {
  const { deps } = batchRun;
  try {
    for (const incoming of facts) {
      // Time is when the fact is handled, not when it was scheduled: lateness shows in history. A run's start
      // is the exception: it is when the trigger was accepted, so a delay counts from the trigger, however
      // long the start job waited in the queue.
      const now = incoming.type === 'start' ? Math.min(incoming.now, deps.now()) : deps.now();
      const queue: Fact[] = [{ ...incoming, now } as Fact];
      while (queue.length) {
        const fact = queue.shift()!;
        const result = advance(batchRun.state, fact, batchRun.bundle, { user: batchRun.user });
        batchRun.state = result.state;
        for (const action of result.actions) {
          const reply = await carryOut(carriedOutInTransaction, batchRun, action, deps.now());
          if (reply) queue.push(reply);
        }
      }
    }
  } catch (error) {
    if (!(error instanceof CorruptStateError)) throw error;
    // A state that does not fit its bundle will never heal by retrying: end the run and say why.
    batchRun.state = failedState(batchRun.state, deps.now(), error.message);
  }
}

/** The run ended as failed, with why in its history. */
function failedState(state: RunState, at: number, error: string): RunState {
  return { ...state, status: 'failed', waiting: null, history: [...state.history, { at, stepId: '', kind: 'run', outcome: 'failed', detail: { error } }] };
}

/**
 * Ends a run whose fact job failed every retry (its dead letter, queue.ts): a run never stays waiting on a job
 * that will not come. A run already finished is left as it is.
 */
export async function failRun(deps: ExecutionDeps, tx: SqlClient, runId: string, error: string): Promise<void> {
  const [run] = await rows<sql.RunRow>(tx, sql.lockRunsWithUsers([runId]));
  if (!run || !['running', 'waiting'].includes(run.status)) return;
  const state = failedState(run.state as RunState, deps.now(), error);
  await exec(tx, sql.saveTurns([{ id: run.id, status: state.status, state, started: startIsBehind(state), messages: [] }]));
  // Rare (a dead letter): not worth knowing whether the workflow had keys.
  await exec(tx, sql.deleteMatchKeys([run.id]));
  deps.observe?.runFinished?.('failed');
}

/**
 * Runs that ended in this batch and had match keys (their workflow has a keyed wait or cancel, and a user): their
 * keys go in the same transaction. Only those cost the extra statement; other workflows never wrote keys.
 */
function endedWithKeys(batchRuns: BatchRun[]): string[] {
  return batchRuns
    .filter((t) => t.run.user_id !== null && isFinished(t.state) && !['completed', 'cancelled', 'failed'].includes(t.run.status))
    .filter((t) => {
      const workflow = t.bundle.workflows[t.run.workflow];
      return workflow !== undefined && hasKeys(workflow);
    })
    .map((t) => t.run.id);
}

/** A run's start is behind it once applied, or once the run ended without it (a cancel that came first). */
function startIsBehind(state: RunState): boolean {
  return isStarted(state) || (state.status !== 'running' && state.status !== 'waiting');
}

/** The jobs' facts by run, in the order the jobs came. */
function factsByRun(jobs: FactJob[]): Map<string, Fact[]> {
  const byRun = new Map<string, Fact[]>();
  for (const job of jobs) byRun.set(job.runId, [...(byRun.get(job.runId) ?? []), job.fact]);
  return byRun;
}

/**
 * Applies a batch of facts to their runs in `tx`. Returns each run's state after it (runs that do not exist
 * are absent). An error anywhere fails the whole batch: the caller rolls back and retries its jobs one by one.
 */
export async function processFacts(deps: ExecutionDeps, tx: SqlClient, jobs: FactJob[], signal?: AbortSignal): Promise<Map<string, RunState>> {
  const byRun = factsByRun(jobs);
  const locked = await rows<sql.RunRow & ProfileColumns & TenantColumns & { receipts: ReceiptRow[] | null }>(tx, sql.lockRunsWithUsers([...byRun.keys()]));
  const frequency = new FrequencyLedger(tx);
  // Every run settles before the batch goes on or fails: one still advancing when another has failed would
  // otherwise issue statements on a transaction that is being rolled back and released.
  const settled = await Promise.allSettled(
    locked.map(async (run) => {
      const bundle = bundleWithDefinition(await deps.bundles.get(tx, run.bundle_version), run.definition);
      const tenant = tenantSnapshot(run.tenant_id, run);
      const user = withTenant(run.user_id ? userSnapshot(run.user_id, run) : recipientSnapshot(run.recipient), tenant);
      const batchRun: BatchRun = {
        deps,
        tx,
        run,
        bundle,
        state: run.state as RunState,
        user,
        tenant,
        log: [],
        scheduled: [],
        receipts: runReceipts(run.receipts),
        frequency,
        signal,
      };
      await applyFacts(batchRun, byRun.get(run.id)!);
      return batchRun;
    }),
  );
  const failed = settled.find((s) => s.status === 'rejected');
  if (failed) throw failed.reason;
  const batchRuns = settled.map((s) => (s as PromiseFulfilledResult<BatchRun>).value);
  if (batchRuns.length === 0) return new Map();
  await sendFacts(
    deps.boss,
    batchRuns.flatMap((t) => t.scheduled),
    { client: tx },
  );
  await exec(
    tx,
    sql.saveTurns(
      batchRuns.map((t) => ({
        id: t.run.id,
        status: t.state.status,
        state: t.state,
        started: startIsBehind(t.state),
        messages: t.log,
        ...(t.run.tenant_id ? { tenantId: t.run.tenant_id } : {}),
      })),
    ),
  );
  const unkeyed = endedWithKeys(batchRuns);
  if (unkeyed.length) await exec(tx, sql.deleteMatchKeys(unkeyed));
  return new Map(batchRuns.map((t) => [t.run.id, t.state]));
}

/** Applies one fact to one run. Returns the run's state after it, or null when the run does not exist. */
export async function processFact(deps: ExecutionDeps, tx: SqlClient, job: FactJob): Promise<RunState | null> {
  return (await processFacts(deps, tx, [job])).get(job.runId) ?? null;
}
