/**
 * Audiences at run time: who matches an audience's condition, counted, sampled and read page by page — each one
 * SQL query (`sql.ts`) on the database's indexes. The fan-out (runtime/recipients) reads audiences through
 * `audienceReader`; `herald audiences preview` and `herald diff --reach` count and sample them.
 */
import type { AudienceCondition } from '../../compiler/bundle/audience.ts';
import type { Bundle } from '../../compiler/bundle/schema.ts';
import { one, rows, type SqlClient } from '../db/sql-client.ts';
import { type AudienceQueryOptions, countStatement, memberPageStatement, sampleStatement } from './sql.ts';

export type { AudienceQueryOptions } from './sql.ts';
export { audienceWhere } from './sql.ts';

/** User ids matching, ascending in byte order (COLLATE "C"), strictly after `after`; at most `limit`. */
export async function audienceMemberPage(
  tx: SqlClient,
  condition: AudienceCondition,
  after: string | null,
  limit: number,
  options: AudienceQueryOptions = {},
): Promise<string[]> {
  return (await rows<{ id: string }>(tx, memberPageStatement(condition, after, limit, options))).map((r) => r.id);
}

/** How many users match. */
export async function audienceCount(client: SqlClient, condition: AudienceCondition, options: AudienceQueryOptions = {}): Promise<number> {
  return Number((await one<{ n: string }>(client, countStatement(condition, options)))?.n ?? 0);
}

export interface AudienceSampleRow {
  id: string;
  /** As stored: mask it wherever it is shown. */
  email: string | null;
}

/** Up to `n` matching users, in id order. */
export async function audienceSample(
  client: SqlClient,
  condition: AudienceCondition,
  n: number,
  options: AudienceQueryOptions = {},
): Promise<AudienceSampleRow[]> {
  return rows<AudienceSampleRow>(client, sampleStatement(condition, n, options));
}

/** An audience id the bundle does not define (a fan-out created under a bundle that had it cannot meet this). */
export class AudienceNotFound extends Error {
  override name = 'AudienceNotFound';
  readonly audience: string;
  constructor(audience: string) {
    super(`audience "${audience}" is not defined in the bundle`);
    this.audience = audience;
  }
}

export function audienceCondition(bundle: Pick<Bundle, 'audiences'>, audience: string): AudienceCondition {
  const found = bundle.audiences && Object.hasOwn(bundle.audiences, audience) ? bundle.audiences[audience] : undefined;
  if (!found) throw new AudienceNotFound(audience);
  return found.condition;
}

/** The fan-out's hook (runtime/recipients AudienceReader): an audience of the run's bundle, by id. */
export const audienceReader = {
  page: (tx: SqlClient, q: { audience: string; bundle: Pick<Bundle, 'audiences'>; after: string | null; limit: number }): Promise<string[]> =>
    audienceMemberPage(tx, audienceCondition(q.bundle, q.audience), q.after, q.limit),
  count: (tx: SqlClient, q: { audience: string; bundle: Pick<Bundle, 'audiences'> }): Promise<number> =>
    audienceCount(tx, audienceCondition(q.bundle, q.audience)),
};
