/**
 * Every statement of the fan-out (fanouts and the pages of recipients it reads), as pure functions returning
 * text and values. Nothing here executes.
 */
import type { Statement } from '../db/sql-client.ts';
import type { ListPattern } from '../lists/ids.ts';

const s = (text: string, ...values: unknown[]): Statement => ({ text, values });
const json = (value: unknown) => JSON.stringify(value ?? null);

/** `prefix` as a LIKE pattern that matches it literally, then anything. */
const likePrefix = (prefix: string) => `${prefix.replace(/[\\%_]/g, '\\$&')}%`;

// ── recipients ─────────────────────────────────────────────────────────────────────────────────────────────
/** A list's members after `after` in user id order: a range of the primary key. */
export const listRecipients = (listId: string, after: string | null, limit: number) =>
  s(`SELECT user_id FROM herald.list_members WHERE list_id = $1 AND user_id > COALESCE($2::text, '') ORDER BY user_id LIMIT $3`, listId, after, limit);
export const listRecipientCount = (listId: string) => s('SELECT count(*)::int AS n FROM herald.list_members WHERE list_id = $1', listId);

/** The lists a pattern matches: a range of the lists' primary key (C collation), then the whole-id check. */
const matchingLists = `SELECT id FROM herald.lists WHERE id LIKE $1 AND id ~ $2`;

/**
 * The members of every list a pattern matches, each user once, after `after` in user id order. Each matching
 * list gives at most `limit` of its members after the cursor (a range of the primary key), so a page reads at
 * most lists × limit index entries, whatever the lists' sizes.
 */
export const patternRecipients = (pattern: ListPattern, after: string | null, limit: number) =>
  s(
    `SELECT DISTINCT m.user_id FROM (${matchingLists}) l
       CROSS JOIN LATERAL (SELECT user_id FROM herald.list_members
                           WHERE list_id = l.id AND user_id > COALESCE($3::text, '') ORDER BY user_id LIMIT $4) m
     ORDER BY m.user_id LIMIT $4`,
    likePrefix(pattern.prefix),
    pattern.regex,
    after,
    limit,
  );
export const patternRecipientCount = (pattern: ListPattern) =>
  s(
    `SELECT count(DISTINCT m.user_id)::int AS n FROM (${matchingLists}) l JOIN herald.list_members m ON m.list_id = l.id`,
    likePrefix(pattern.prefix),
    pattern.regex,
  );

// ── fanouts ──────────────────────────────────────────────────────────────────────────────────────────────
export interface FanoutRow {
  id: string;
  kind: string;
  source: unknown;
  workflow: string;
  bundle_version: string;
  definition: unknown;
  data: Record<string, unknown>;
  tenant: string | null;
  request_id: string | null;
  status: 'running' | 'done' | 'cancelled';
  cursor: string | null;
  planned: number;
  started: number;
  page_size: number | null;
  rate_per_minute: number | null;
  not_before: Date;
  created_at: Date;
  updated_at: Date;
  finished_at: Date | null;
}

export type NewFanoutRow = Pick<
  FanoutRow,
  | 'id'
  | 'kind'
  | 'source'
  | 'workflow'
  | 'bundle_version'
  | 'definition'
  | 'data'
  | 'tenant'
  | 'request_id'
  | 'planned'
  | 'page_size'
  | 'rate_per_minute'
  | 'not_before'
>;

export const insertFanout = (f: NewFanoutRow) =>
  s(
    `INSERT INTO herald.fanouts (id, kind, source, workflow, bundle_version, definition, data, tenant, request_id, planned, page_size, rate_per_minute, not_before)
     VALUES ($1, $2, $3::jsonb, $4, $5, $6::jsonb, $7::jsonb, $8, $9, $10, $11, $12, $13)`,
    f.id,
    f.kind,
    json(f.source),
    f.workflow,
    f.bundle_version,
    f.definition === null ? null : json(f.definition),
    json(f.data),
    f.tenant,
    f.request_id,
    f.planned,
    f.page_size,
    f.rate_per_minute,
    f.not_before,
  );

export const fanoutById = (id: string) => s('SELECT * FROM herald.fanouts WHERE id = $1', id);
/** The fan-out, locked for its page's transaction: one page at a time, and a cancel waits for the page in flight. */
export const lockFanout = (id: string) => s('SELECT * FROM herald.fanouts WHERE id = $1 FOR UPDATE', id);

/** A page done: the cursor at its last recipient, its runs counted; `done` when it was the last. */
export const advanceFanout = (id: string, cursor: string | null, started: number, done: boolean) =>
  s(
    `UPDATE herald.fanouts SET cursor = COALESCE($2, cursor), started = started + $3, updated_at = now(),
       status = CASE WHEN $4 THEN 'done' ELSE status END, finished_at = CASE WHEN $4 THEN now() ELSE finished_at END
     WHERE id = $1`,
    id,
    cursor,
    started,
    done,
  );

export const cancelFanout = (id: string) =>
  s(`UPDATE herald.fanouts SET status = 'cancelled', updated_at = now(), finished_at = now() WHERE id = $1 AND status = 'running'`, id);

// ── cancelling ─────────────────────────────────────────────────────────────────────────────────────────────
/** The fan-out's runs still going (running or waiting), after `after` in id order: what a cancel stops, a chunk at a time. */
export const activeRunsOfFanout = (fanoutId: string, after: string | null, limit: number) =>
  s(
    `SELECT id FROM herald.runs WHERE fanout_id = $1 AND status IN ('running', 'waiting') AND id > COALESCE($2::uuid, '00000000-0000-0000-0000-000000000000') ORDER BY id LIMIT $3`,
    fanoutId,
    after,
    limit,
  );
