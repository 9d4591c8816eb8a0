/**
 * The audit log page's query (action filter, keyset cursor) and its read: newest first, a page of PAGE_SIZE
 * entries, the next page's cursor being the last entry's id (ids only grow; sql.auditPage).
 */
import { z } from 'zod';
import { AUDIT_ACTIONS } from '../audit/audit.ts';
import { auditCursor } from '../audit/routes.ts';
import * as sql from '../db/sql.ts';
import { rows, type SqlClient } from '../db/sql-client.ts';

export const AUDIT_PAGE_SIZE = 50;

// An empty select means "any action", not "the action named ''".
const blank = (value: unknown) => (value === '' ? undefined : value);

export const auditQuerySchema = z.object({
  action: z.preprocess(blank, z.enum(AUDIT_ACTIONS).optional()),
  cursor: z.preprocess(blank, auditCursor.optional()),
});
export type AuditQuery = z.infer<typeof auditQuerySchema>;

export interface AuditList {
  rows: sql.AuditRow[];
  /** The cursor of the next (older) page; null on the last one. */
  next: string | null;
}

/** One page; an entry more is read to know whether an older page follows (no empty last page). */
export async function auditList(db: SqlClient, q: AuditQuery, limit = AUDIT_PAGE_SIZE): Promise<AuditList> {
  const found = await rows<sql.AuditRow>(db, sql.auditPage(limit + 1, q.cursor ?? null, q.action ?? null));
  const page = found.slice(0, limit);
  return { rows: page, next: found.length > limit ? page[page.length - 1]!.id : null };
}

/** `?action=…&cursor=…`, leaving out what is unset. */
export function auditQueryString(q: Partial<AuditQuery>): string {
  const params = new URLSearchParams();
  if (q.action) params.set('action', q.action);
  if (q.cursor) params.set('cursor', q.cursor);
  const text = params.toString();
  return text ? `?${text}` : '';
}
