/**
 * Every statement of lists and their members, as pure functions returning text and values (db/sql.ts's way;
 * the fan-out's reads of members are in recipients/sql.ts). Nothing here executes.
 */
import type { Statement } from '../db/sql-client.ts';

const s = (text: string, ...values: unknown[]): Statement => ({ text, values });

export interface ListRow {
  id: string;
  name: string | null;
  members: number;
  created_at: Date;
  updated_at: Date;
}

export interface MemberRow {
  user_id: string;
  data: Record<string, unknown>;
  created_at: Date;
}

/** Creates the list or renames it; a PUT without a name keeps the name it had. */
export const upsertList = (id: string, name: string | null | undefined) =>
  s(
    `INSERT INTO herald.lists (id, name) VALUES ($1, $2)
     ON CONFLICT (id) DO UPDATE SET name = CASE WHEN $3 THEN EXCLUDED.name ELSE herald.lists.name END, updated_at = now()
     RETURNING id, name, created_at, updated_at`,
    id,
    name ?? null,
    name !== undefined,
  );

/** The list, if it exists, without touching it (a member added to a list that does not exist creates it, as Courier's subscribe does). */
export const ensureList = (id: string) => s('INSERT INTO herald.lists (id) VALUES ($1) ON CONFLICT (id) DO NOTHING', id);

/** Deletes the list and its memberships (the foreign key cascades); a row back means it existed. */
export const deleteList = (id: string) => s('DELETE FROM herald.lists WHERE id = $1 RETURNING id', id);

export const listById = (id: string) =>
  s(
    `SELECT l.id, l.name, l.created_at, l.updated_at, (SELECT count(*)::int FROM herald.list_members m WHERE m.list_id = l.id) AS members
     FROM herald.lists l WHERE l.id = $1`,
    id,
  );

/** Adds the member or replaces its data; answers whether it was new. */
export const upsertMember = (listId: string, userId: string, data: Record<string, unknown>) =>
  s(
    `INSERT INTO herald.list_members (list_id, user_id, data) VALUES ($1, $2, $3::jsonb)
     ON CONFLICT (list_id, user_id) DO UPDATE SET data = EXCLUDED.data
     RETURNING (xmax = 0) AS created`,
    listId,
    userId,
    JSON.stringify(data),
  );

/** Adds many members at once (data replaced for those already there). */
export const upsertMembers = (listId: string, members: { user_id: string; data: Record<string, unknown> }[]) =>
  s(
    `INSERT INTO herald.list_members (list_id, user_id, data)
     SELECT $1, m.user_id, COALESCE(m.data, '{}') FROM jsonb_to_recordset($2::jsonb) AS m (user_id text, data jsonb)
     ON CONFLICT (list_id, user_id) DO UPDATE SET data = EXCLUDED.data`,
    listId,
    JSON.stringify(members),
  );

/** Removes every member not in `keep` (Courier's replace-all subscriptions). */
export const removeMembersExcept = (listId: string, keep: string[]) =>
  s('DELETE FROM herald.list_members WHERE list_id = $1 AND NOT (user_id = ANY($2::text[]))', listId, keep);

export const deleteMember = (listId: string, userId: string) =>
  s('DELETE FROM herald.list_members WHERE list_id = $1 AND user_id = $2 RETURNING user_id', listId, userId);

/**
 * One page of members in user id order, strictly after `after` (keyset paging on the primary key): a member
 * added or removed between two pages moves no other member across a page boundary. One more row than `limit` is
 * read, to tell whether there is a next page.
 */
export const membersPage = (listId: string, after: string | null, limit: number) =>
  s(
    `SELECT user_id, data, created_at FROM herald.list_members
     WHERE list_id = $1 AND user_id > COALESCE($2::text, '') ORDER BY user_id LIMIT $3`,
    listId,
    after,
    limit + 1,
  );
