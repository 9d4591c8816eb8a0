/**
 * How inbox items look to the end user (the API, the stream, the widget): camelCase, ISO times, and only
 * what the widget shows — no message id or user id, which the end user has no use for.
 */
import type { InboxItemRow } from '../db/sql.ts';

export interface InboxItem {
  id: string;
  title: string;
  body: string;
  actionUrl: string | null;
  createdAt: string;
  readAt: string | null;
  /** When the list was opened on it (`POST /v1/inbox/seen`); a read item was seen too. */
  seenAt: string | null;
  archivedAt: string | null;
}

export function presentItem(row: InboxItemRow): InboxItem {
  return {
    id: row.id,
    title: row.title,
    body: row.body,
    actionUrl: row.action_url,
    createdAt: row.created_at.toISOString(),
    readAt: row.read_at?.toISOString() ?? null,
    seenAt: row.seen_at?.toISOString() ?? null,
    archivedAt: row.archived_at?.toISOString() ?? null,
  };
}

/**
 * The page cursor: the last row's creation time to the microsecond and its id, opaque to clients. A cursor
 * that does not decode is the caller's error (null here, 400 at the route).
 */
export function encodeCursor(row: Pick<InboxItemRow, 'cursor_at' | 'id'>): string {
  return Buffer.from(`${row.cursor_at}|${row.id}`).toString('base64url');
}

const CURSOR = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z)\|([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

export function decodeCursor(cursor: string): { at: string; id: string } | null {
  const match = CURSOR.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  return match ? { at: match[1]!, id: match[2]! } : null;
}
