/**
 * `Idempotency-Key`: one answer per key, the key claimed in the transaction of the work it guards. A group of
 * keyed triggers (group-commit.ts) claims all its keys in one statement, in key order — so two groups racing
 * for the same keys queue behind each other instead of deadlocking — then does each claimed trigger's work
 * and stores the answers in one more. The typed client's queued events share the namespace (ingest-queue.ts).
 */
import { createHash } from 'node:crypto';
import * as sql from '../db/sql.ts';
import { exec, rows, type SqlClient } from '../db/sql-client.ts';

/** A request's key, with a digest of what it asked: the same key with another request is a conflict. */
export interface RequestKey {
  key: string;
  hash: string;
}

/** The key of a request whose `Idempotency-Key` header is `header` (none without one); `request` is what it asked, as sent. */
export function requestKey(header: string | undefined, request: string): RequestKey | undefined {
  return header ? { key: header, hash: createHash('sha256').update(request).digest('hex') } : undefined;
}

/** A trigger's answer: the body of its 202, and whether it replays the answer of an earlier request with its key. */
export interface Accepted<Body> {
  body: Body;
  replayed: boolean;
}

export type KeyedOutcome = Accepted<unknown> | { conflict: string };

/** Keyed work: run only when its key is claimed; its result is the answer stored for the key. */
export interface Keyed extends RequestKey {
  work: (tx: SqlClient) => Promise<unknown>;
}

/** Every trigger answers 202; the status is stored for the key all the same. */
const ACCEPTED = 202;

/** A group of keyed triggers in `tx`: claim, work the claimed, replay the rest (see above). */
export async function claimKeys(tx: SqlClient, group: Keyed[]): Promise<KeyedOutcome[]> {
  const firstByKey = new Map<string, Keyed>();
  for (const item of group) if (!firstByKey.has(item.key)) firstByKey.set(item.key, item);
  const claims = [...firstByKey.values()].map(({ key, hash }) => ({ key, hash }));
  const claimed = new Set((await rows<{ key: string }>(tx, sql.claimIdempotencyKeys(claims))).map((r) => r.key));
  // Keys answered in an earlier transaction: read in one statement.
  const taken = [...firstByKey.keys()].filter((key) => !claimed.has(key));
  const answered = new Map<string, { hash: string; body: unknown }>(
    taken.length
      ? (await rows<{ key: string; request_hash: string; response: unknown }>(tx, sql.idempotencyByKeys(taken))).map((p) => [
          p.key,
          { hash: p.request_hash, body: p.response },
        ])
      : [],
  );
  const fresh = new Map<string, unknown>();
  const outcomes: KeyedOutcome[] = [];
  for (const item of group) {
    if (claimed.has(item.key) && !fresh.has(item.key)) {
      const body = await item.work(tx);
      fresh.set(item.key, body);
      answered.set(item.key, { hash: item.hash, body });
      outcomes.push({ body, replayed: false });
      continue;
    }
    // Answered earlier in this group, or in an earlier transaction.
    const prior = answered.get(item.key);
    if (!prior) throw new Error(`Idempotency-Key "${item.key}" is neither claimed nor answered`);
    outcomes.push(prior.hash === item.hash ? { body: prior.body, replayed: true } : { conflict: item.key });
  }
  if (fresh.size) await exec(tx, sql.storeIdempotentResponses([...fresh].map(([key, response]) => ({ key, status: ACCEPTED, response }))));
  return outcomes;
}
