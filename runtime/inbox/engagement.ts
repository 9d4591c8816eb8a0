/**
 * What the end user does in the inbox, reported to the message log and the message's run exactly as a provider's
 * webhook reports an email open (status/message-events.ts): `delivered` when an item is first shown in an open list
 * or stream, `seen` when the list is opened on it, `read` when it is opened or marked read, `clicked` when its
 * action is followed. A report that would not move the message's status forward is dropped, so repeats (a list
 * fetched again, read → unread → read, a click after the read it implies) change nothing and a run hears each
 * kind at most once; a `read` of an item whose send asks for read sync marks the step's other channels read.
 */
import * as sql from '../db/sql.ts';
import { one, rows, type SqlClient } from '../db/sql-client.ts';
import type { StatusDeps } from '../execution/deps.ts';
import { recordMessageEvent } from '../status/message-events.ts';
import { nextStatus } from '../status/status.ts';

export type InboxEngagement = 'delivered' | 'seen' | 'read' | 'clicked';

/** Reports `kind` on the user's in-app messages among `messageIds`; returns how many moved forward. */
export async function reportInboxEngagement(
  deps: StatusDeps,
  tx: SqlClient,
  userId: string,
  messageIds: readonly string[],
  kind: InboxEngagement,
): Promise<number> {
  let reported = 0;
  // In id order: two reports about the same messages lock them in the same order, never in a cycle.
  for (const id of [...new Set(messageIds)].sort()) {
    const message = await one<sql.MessageRow>(tx, sql.lockMessage(id));
    // Gone (the message log's days are dropped apart from the inbox's), or not this user's in-app message: the
    // ids come from the user's own items, so this is belt and braces.
    if (!message || message.user_id !== userId || message.channel !== 'inapp') continue;
    if (nextStatus(message.status, kind) === message.status) continue;
    await recordMessageEvent(deps, tx, message, kind, { source: 'inbox' });
    reported++;
  }
  return reported;
}

/**
 * Items shown (`delivered`) or seen in an open list: claims the first showing or sighting of each (so the report is
 * made once, whoever shows it) and reports it, in one transaction.
 */
export async function reportInboxSighting(
  deps: StatusDeps,
  tx: SqlClient,
  userId: string,
  itemIds: readonly string[],
  kind: 'delivered' | 'seen',
  /** The token's tenant scope (sql.ts inboxOfTenant): items of another tenant are not claimed. */
  tenant?: string | null,
): Promise<number> {
  if (itemIds.length === 0) return 0;
  const claimed = await rows<{ message_id: string }>(tx, sql.claimInboxItems(userId, itemIds, kind, tenant));
  await reportInboxEngagement(
    deps,
    tx,
    userId,
    claimed.map((c) => c.message_id),
    kind,
  );
  return claimed.length;
}
