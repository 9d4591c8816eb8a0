/**
 * The pg-boss driver's half of a fetch step. The batch never waits on a team's API inside its transaction: the
 * `fetch` action becomes a job of its own queue, enqueued with the run's state (batch.ts); this worker performs
 * the request through the outbound guard (runtime/outbound: https, no private or link-local ranges unless
 * HERALD_OUTBOUND_ALLOW says so) and hands what came of it to the run as a `fetchResult` fact job. That job
 * carries the answer, so a fact job retried after a rollback applies the same answer: it is never fetched again.
 * Retries and the failure policy are the engine's (runtime/engine/fetch.ts), the same in both drivers.
 */
import type { PgBoss } from 'pg-boss';
import { retryAfterMs, TOO_LARGE_CODE, transportProblem } from '../delivery/providers/failure.ts';
import { fetchEnvProblem } from '../engine/index.ts';
import type { ActionOf, FetchOutcome } from '../engine/index.ts';
import { outboundFetch } from '../outbound/fetch.ts';
import { type OutboundPolicy, OutboundRefusedError } from '../outbound/guard.ts';
import type { SqlClient } from '../db/sql-client.ts';
import { asBossDb, queueOptions, sendFact } from './queue.ts';

export const FETCH_QUEUE = 'herald-fetch';
/** The largest answer read: it travels in a fact job and the run's state keeps its validated part. */
export const FETCH_MAX_BYTES = 256 * 1024;

export interface FetchJob {
  runId: string;
  action: ActionOf<'fetch'>;
}

/** Enqueues the request with the batch that asked for it (`client`: the batch's transaction). */
export async function enqueueFetch(boss: PgBoss, job: FetchJob, client: SqlClient): Promise<void> {
  await boss.insert(FETCH_QUEUE, [{ data: job as unknown as object }], { db: asBossDb(client) });
}

/**
 * Performs one attempt. Header values named by `env` are read here, at the request, and go nowhere else. Every
 * failure is an outcome, never a throw: the engine decides what it means.
 */
export async function performFetch(
  action: ActionOf<'fetch'>,
  env: Readonly<Record<string, string | undefined>>,
  /** The outbound guard's policy (the runtime's: http to loopback only in development). */
  policy: OutboundPolicy,
): Promise<FetchOutcome> {
  const headers: Record<string, string> = { accept: 'application/json' };
  for (const [name, source] of Object.entries(action.headers)) {
    // The engine refused reserved and credential variables before asking; a job from elsewhere meets the prefix rule here.
    const reserved = 'env' in source ? fetchEnvProblem(source.env) : null;
    if (reserved) return { kind: 'error', error: 'refused', message: `header "${name}": ${reserved}` };
    const value = 'env' in source ? env[source.env] : source.value;
    if (value === undefined) {
      return { kind: 'error', error: 'refused', message: `header "${name}" reads environment variable ${'env' in source ? source.env : ''}, which is not set` };
    }
    headers[name] = value;
  }
  try {
    const response = await outboundFetch(
      action.url,
      { method: 'GET', headers },
      {
        timeoutMs: action.timeoutMs,
        maxBytes: FETCH_MAX_BYTES,
        policy,
      },
    );
    const wait = response.ok ? undefined : retryAfterMs(response.headers);
    return { kind: 'response', status: response.status, body: await response.text(), ...(wait === undefined ? {} : { retryAfterMs: wait }) };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof OutboundRefusedError) return { kind: 'error', error: 'refused', message };
    if ((error as { code?: unknown }).code === TOO_LARGE_CODE) {
      return { kind: 'error', error: 'too_large', message: `the answer is over ${FETCH_MAX_BYTES} bytes` };
    }
    if (transportProblem(error).kind === 'timeout') return { kind: 'error', error: 'timeout', message: `no answer within ${action.timeoutMs} ms` };
    return { kind: 'error', error: 'network', message };
  }
}

/**
 * Works the fetch queue: each job's attempt, then its `fetchResult` fact. A job fails (and pg-boss retries it)
 * only when the fact cannot be enqueued: the request may then be made again, at least once in all (a GET).
 */
export async function startFetchWorker(
  boss: PgBoss,
  env: Readonly<Record<string, string | undefined>>,
  now: () => number,
  /** The outbound guard's policy (the runtime's). */
  policy: OutboundPolicy,
): Promise<void> {
  // Retried as the fact queue is (queue.ts): a job fails only while its answer cannot be enqueued (a database
  // outage). Not into the fact queue's dead letter, which ends runs: an answer that never comes is the engine's to
  // count as a failed attempt (runtime/engine/fetch.ts, FETCH_ANSWER_GRACE_MS). A fetch job is due at once, so no
  // bundle's retention matters to it.
  const { deadLetter: _, ...options } = queueOptions(0);
  const existing = await boss.getQueue(FETCH_QUEUE);
  if (!existing) await boss.createQueue(FETCH_QUEUE, options);
  else if (Object.entries(options).some(([key, value]) => (existing as unknown as Record<string, unknown>)[key] !== value)) {
    await boss.updateQueue(FETCH_QUEUE, options);
  }
  // One job per call (a failed enqueue retries that job alone), several at once: each is mostly waiting on the network.
  await boss.work(FETCH_QUEUE, { batchSize: 1, localConcurrency: 4, pollingIntervalSeconds: 0.5 }, async (jobs: { data: FetchJob }[]) => {
    await Promise.all(
      jobs.map(async ({ data: { runId, action } }) => {
        const outcome = await performFetch(action, env, policy);
        await sendFact(boss, { runId, fact: { type: 'fetchResult', now: now(), stepId: action.stepId, attempt: action.attempt, outcome } });
      }),
    );
  });
}
