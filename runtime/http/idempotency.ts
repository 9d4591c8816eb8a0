/**
 * `Idempotency-Key` for the routes that start work: one answer per key, the key claimed with the work.
 * Requests are group-committed (db/group-commit.ts): those arriving together share a transaction that claims
 * all their keys in one statement, in key order — so two groups racing for the same keys queue behind each
 * other instead of deadlocking — then does each claimed request's work and stores the answers in one more.
 */
import { createHash } from 'node:crypto';
import * as sql from '../db/sql.ts';
import { createBatcher } from '../db/group-commit.ts';
import type { Database } from '../db/pool.ts';
import { exec, rows, type SqlClient } from '../db/sql-client.ts';
import type { AppDeps } from './deps.ts';
import { HttpError } from './errors.ts';

type Answer = { status: 202; body: unknown };
type Work = (tx: SqlClient) => Promise<Answer>;
type Outcome = { answer: Answer & { replayed: boolean } } | { conflict: string };

interface Keyed {
  key: string;
  hash: string;
  work: Work;
}

/** A group of keyed requests in `tx`: claim, work the claimed, replay the rest (see above). */
async function runKeyed(tx: SqlClient, group: Keyed[]): Promise<Outcome[]> {
  const firstByKey = new Map<string, Keyed>();
  for (const item of group) if (!firstByKey.has(item.key)) firstByKey.set(item.key, item);
  const claims = [...firstByKey.values()].map(({ key, hash }) => ({ key, hash }));
  const claimed = new Set((await rows<{ key: string }>(tx, sql.claimIdempotencyKeys(claims))).map((r) => r.key));
  // Keys answered in an earlier transaction: read in one statement.
  const taken = [...firstByKey.keys()].filter((key) => !claimed.has(key));
  const answered = new Map<string, { hash: string; answer: Answer }>(
    taken.length
      ? (await rows<{ key: string; request_hash: string; response: unknown }>(tx, sql.idempotencyByKeys(taken))).map((p) => [
          p.key,
          { hash: p.request_hash, answer: { status: 202 as const, body: p.response } },
        ])
      : [],
  );
  const fresh = new Map<string, { hash: string; answer: Answer }>();
  const outcomes: Outcome[] = [];
  for (const item of group) {
    if (claimed.has(item.key) && !fresh.has(item.key)) {
      const answer = await item.work(tx);
      fresh.set(item.key, { hash: item.hash, answer });
      answered.set(item.key, { hash: item.hash, answer });
      outcomes.push({ answer: { ...answer, replayed: false } });
      continue;
    }
    // Answered earlier in this group, or in an earlier transaction.
    const prior = answered.get(item.key);
    if (!prior) throw new Error(`Idempotency-Key "${item.key}" is neither claimed nor answered`);
    outcomes.push(prior.hash === item.hash ? { answer: { ...prior.answer, replayed: true } } : { conflict: item.key });
  }
  if (fresh.size) await exec(tx, sql.storeIdempotentResponses([...fresh].map(([key, a]) => ({ key, status: a.answer.status, response: a.answer.body }))));
  return outcomes;
}

const batchers = new WeakMap<Database, (item: Keyed) => Promise<Outcome>>();

function keyedBatcher(db: Database) {
  let batch = batchers.get(db);
  if (!batch) {
    batch = createBatcher<Keyed, Outcome>({
      together: (group) => db.transaction((tx) => runKeyed(tx, group)),
      alone: async (item) => (await db.transaction((tx) => runKeyed(tx, [item])))[0]!,
    });
    batchers.set(db, batch);
  }
  return batch;
}

/**
 * Runs `work` once per Idempotency-Key: the same key and body replay the first answer; the same key with
 * another body is refused (422). Without a key, the work is simply group-committed.
 */
export async function idempotent(deps: AppDeps, key: string | undefined, raw: string, work: Work): Promise<Answer & { replayed: boolean }> {
  if (!key) return { ...(await deps.db.grouped(work)), replayed: false };
  const hash = createHash('sha256').update(raw).digest('hex');
  const outcome = await keyedBatcher(deps.db)({ key, hash, work });
  if ('conflict' in outcome) {
    throw new HttpError(422, 'idempotency_conflict', `Idempotency-Key "${key}" was used with a different body; use a new key for a new request`);
  }
  return outcome.answer;
}
