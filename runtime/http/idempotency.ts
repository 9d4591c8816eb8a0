/** `Idempotency-Key` for the routes that start work: one answer per key, the key claimed with the work. */
import { createHash } from 'node:crypto';
import * as sql from '../db/sql.ts';
import { exec, one, type SqlClient } from '../db/sql-client.ts';
import type { AppDeps } from './deps.ts';
import { HttpError } from './errors.ts';

/**
 * Runs `work` once per Idempotency-Key: the same key and body replay the first answer; the same key with
 * another body is refused (422). The key is claimed in the same transaction as the work. Triggers are
 * group-committed (db/group-commit.ts): concurrent requests share a transaction, each answered after it commits.
 */
export async function idempotent(deps: AppDeps, key: string | undefined, raw: string, work: (tx: SqlClient) => Promise<{ status: 202; body: unknown }>) {
  return deps.db.grouped(async (tx) => {
    if (key) {
      const hash = createHash('sha256').update(raw).digest('hex');
      const claimed = await one(tx, sql.claimIdempotencyKey(key, hash));
      if (!claimed) {
        const prior = (await one<{ request_hash: string; status: number; response: unknown }>(tx, sql.idempotencyByKey(key)))!;
        if (prior.request_hash !== hash) {
          throw new HttpError(422, 'idempotency_conflict', `Idempotency-Key "${key}" was used with a different body; use a new key for a new request`);
        }
        return { status: 202 as const, body: prior.response, replayed: true };
      }
      const result = await work(tx);
      await exec(tx, sql.storeIdempotentResponse(key, result.status, result.body));
      return { ...result, replayed: false };
    }
    return { ...(await work(tx)), replayed: false };
  });
}

