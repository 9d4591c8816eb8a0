/**
 * Lists and their members, as both APIs use them (`/v1/lists`, routes.ts; Courier's `/lists`, courier/lists.ts):
 * ids checked, a list made when a member is added to one that does not exist yet (as Courier's subscribe does),
 * members paged by user id.
 */
import { z } from 'zod';
import { one, rows, exec, type SqlClient } from '../db/sql-client.ts';
import { HttpError } from '../http/errors.ts';
import { listIdProblem } from './ids.ts';
import * as sql from './sql.ts';

export const MAX_PAGE = 1000;
export const DEFAULT_PAGE = 100;
/** A user id as every other route takes it: the members' key, in paths and bodies. */
const MAX_USER_ID_LENGTH = 255;

export const memberDataSchema = z.record(z.string(), z.json());
export type MemberData = z.infer<typeof memberDataSchema>;

/** The list id from a path or a body, or a 400 that says what is wrong with it. */
export function checkListId(id: string, where = 'list id'): string {
  const problem = listIdProblem(id);
  if (problem) throw new HttpError(400, 'invalid_request', `${where}: ${problem}`);
  return id;
}

export function checkUserId(id: string, where = 'user id'): string {
  if (id.length === 0 || id.length > MAX_USER_ID_LENGTH)
    throw new HttpError(400, 'invalid_request', `${where}: a user id is 1–${MAX_USER_ID_LENGTH} characters`);
  // Postgres text cannot hold a NUL: refused here rather than failing the statement (a 500).
  if (id.includes('\u0000')) throw new HttpError(400, 'invalid_request', `${where}: a user id cannot contain a NUL character`);
  return id;
}

export interface ListView {
  id: string;
  name: string | null;
  members: number;
  createdAt: string;
  updatedAt: string;
}

export interface MemberView {
  userId: string;
  data: Record<string, unknown>;
  createdAt: string;
}

const listView = (row: sql.ListRow): ListView => ({
  id: row.id,
  name: row.name,
  members: row.members,
  createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
});

export async function putList(db: SqlClient, id: string, name: string | null | undefined): Promise<ListView> {
  await exec(db, sql.upsertList(id, name));
  return (await getList(db, id))!;
}

export async function getList(db: SqlClient, id: string): Promise<ListView | null> {
  const row = await one<sql.ListRow>(db, sql.listById(id));
  return row ? listView(row) : null;
}

/** Deletes a list and its memberships; false when there was none. Fan-outs already running finish with the members they have read. */
export async function deleteList(db: SqlClient, id: string): Promise<boolean> {
  return (await rows(db, sql.deleteList(id))).length > 0;
}

/** Adds the member (making the list if needed) or replaces its data; true when it is new. */
export async function putMember(db: SqlClient, listId: string, userId: string, data: MemberData): Promise<boolean> {
  await exec(db, sql.ensureList(listId));
  return (await one<{ created: boolean }>(db, sql.upsertMember(listId, userId, data)))!.created;
}

export async function deleteMember(db: SqlClient, listId: string, userId: string): Promise<boolean> {
  return (await rows(db, sql.deleteMember(listId, userId))).length > 0;
}

/** Adds members in one statement; with `replace`, the list holds exactly them afterwards (Courier's PUT). */
export async function putMembers(db: SqlClient, listId: string, given: { userId: string; data: MemberData }[], replace: boolean): Promise<void> {
  // A user named twice is one member, with the data given last: one INSERT … ON CONFLICT DO UPDATE may not touch a row twice.
  const members = [...new Map(given.map((m) => [m.userId, m])).values()];
  await exec(db, sql.ensureList(listId));
  if (replace)
    await exec(
      db,
      sql.removeMembersExcept(
        listId,
        members.map((m) => m.userId),
      ),
    );
  if (members.length)
    await exec(
      db,
      sql.upsertMembers(
        listId,
        members.map((m) => ({ user_id: m.userId, data: m.data })),
      ),
    );
}

export interface MembersPage {
  items: MemberView[];
  /** The `after` of the next page, or null on the last. */
  next: string | null;
}

/** A page of members in user id order, after `after` (exclusive). */
export async function membersPage(db: SqlClient, listId: string, after: string | null, limit: number): Promise<MembersPage> {
  const found = await rows<sql.MemberRow>(db, sql.membersPage(listId, after, limit));
  const items = found.slice(0, limit).map((m) => ({ userId: m.user_id, data: m.data, createdAt: m.created_at.toISOString() }));
  return { items, next: found.length > limit ? items.at(-1)!.userId : null };
}

/** `?limit=` as a page size: 1–MAX_PAGE, DEFAULT_PAGE when absent; a 400 otherwise. */
export function pageLimit(text: string | undefined): number {
  if (text === undefined || text === '') return DEFAULT_PAGE;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE) throw new HttpError(400, 'invalid_request', `limit: a whole number from 1 to ${MAX_PAGE} (got "${text}")`);
  return n;
}
