/**
 * Who a fan-out reaches: the members of a list, of every list a pattern matches, or of an audience. Each is read
 * in pages of user ids in ascending order (the database's collation, as herald.users.id sorts) strictly after a
 * cursor, by one indexed query, and counted once when the fan-out is created.
 */
import { z } from 'zod';
import type { Bundle } from '../../compiler/bundle/schema.ts';
import { one, rows, type SqlClient } from '../db/sql-client.ts';
import { InputError } from '../errors.ts';
import { listIdProblem, parseListPattern, type ListPattern } from '../lists/ids.ts';
import * as sql from './sql.ts';
import { inZones } from '../broadcasts/zones.ts';

/**
 * Only members whose local time at `at` (epoch ms) the `cron` names, on their profile's zone (none: UTC): a
 * scheduled workflow that fires at a local time reaches, each tick, the recipients whose time it is
 * (runtime/broadcasts/zones.ts).
 */
const zonesSchema = z
  .object({ cron: z.string().min(1), at: z.number().int() })
  .strict()
  .optional();
const sources = [z.object({ list: z.string().min(1) }), z.object({ listPattern: z.string().min(1) }), z.object({ audience: z.string().min(1) })] as const;
export const recipientSourceSchema = z.union(sources.map((source) => source.extend({ zones: zonesSchema }).strict()));
export type RecipientSource = z.infer<typeof recipientSourceSchema>;
/** A source as the API takes it: `zones` is the scheduler's own (scheduled.ts), never a caller's. */
export const recipientRequestSchema = z.union(sources.map((source) => source.strict()));

/**
 * The hook for audiences: their evaluator (runtime/audiences/) answers pages and counts of an audience of the
 * bundle, in the same order and with the same cursor rule as lists. Without one, an audience source is refused.
 */
export interface AudienceReader {
  page(tx: SqlClient, q: { audience: string; bundle: Bundle; after: string | null; limit: number }): Promise<string[]>;
  count(tx: SqlClient, q: { audience: string; bundle: Bundle }): Promise<number>;
}

/** A source as read: a list, a parsed pattern, or an audience with its reader. */
type Reader = { page(tx: SqlClient, after: string | null, limit: number): Promise<string[]>; count(tx: SqlClient): Promise<number> };

/**
 * The source checked, or an InputError (400 at the API) naming `where` and what is wrong: a bad list id or pattern,
 * or an audience when no reader is wired (the reader checks its audience's id when it counts it).
 */
export function checkSource(source: RecipientSource, where: string, bundle: Bundle, audiences?: AudienceReader): void {
  readerOf(source, where, bundle, audiences);
}

function listReader(id: string): Reader {
  return {
    page: async (tx, after, limit) => (await rows<{ user_id: string }>(tx, sql.listRecipients(id, after, limit))).map((r) => r.user_id),
    count: async (tx) => (await one<{ n: number }>(tx, sql.listRecipientCount(id)))!.n,
  };
}

function patternReader(pattern: ListPattern): Reader {
  return {
    page: async (tx, after, limit) => (await rows<{ user_id: string }>(tx, sql.patternRecipients(pattern, after, limit))).map((r) => r.user_id),
    count: async (tx) => (await one<{ n: number }>(tx, sql.patternRecipientCount(pattern)))!.n,
  };
}

const refuse = (where: string, message: string): never => {
  throw new InputError(`${where}: ${message}`, [{ path: where, message }]);
};

function readerOf(source: RecipientSource, where: string, bundle: Bundle, audiences?: AudienceReader): Reader {
  const base = sourceReader(source, where, bundle, audiences);
  return source.zones ? inZones(base, source.zones) : base;
}

function sourceReader(source: RecipientSource, where: string, bundle: Bundle, audiences?: AudienceReader): Reader {
  if ('list' in source) {
    const problem = listIdProblem(source.list);
    return problem ? refuse(`${where}.list`, problem) : listReader(source.list);
  }
  if ('listPattern' in source) {
    const pattern = parseListPattern(source.listPattern);
    return 'problem' in pattern ? refuse(`${where}.listPattern`, pattern.problem) : patternReader(pattern);
  }
  if (!audiences) return refuse(`${where}.audience`, 'audiences are not available in this runtime');
  const audience = source.audience;
  // Own keys only: the id comes from a request.
  if (!bundle.audiences || !Object.hasOwn(bundle.audiences, audience)) {
    const known = Object.keys(bundle.audiences ?? {}).sort();
    return refuse(`${where}.audience`, `no audience "${audience}" in the live bundle (audiences: ${known.join(', ') || 'none'})`);
  }
  return {
    page: (tx, after, limit) => audiences.page(tx, { audience, bundle, after, limit }),
    count: (tx) => audiences.count(tx, { audience, bundle }),
  };
}

/** The next page of the source's user ids after `after`. */
export function recipientPage(
  tx: SqlClient,
  source: RecipientSource,
  q: { bundle: Bundle; after: string | null; limit: number; audiences?: AudienceReader },
): Promise<string[]> {
  return readerOf(source, 'recipients', q.bundle, q.audiences).page(tx, q.after, q.limit);
}

/** How many recipients the source has now. */
export function recipientCount(tx: SqlClient, source: RecipientSource, q: { bundle: Bundle; audiences?: AudienceReader }): Promise<number> {
  return readerOf(source, 'recipients', q.bundle, q.audiences).count(tx);
}
