/**
 * The inbox port in-app delivery writes through (`InboxPort`, runtime/delivery/providers/types.ts), on a client the
 * delivery code chooses: the job's transaction, so an item exists exactly when its message is logged.
 */
import * as sql from '../db/sql.ts';
import { one, type SqlClient } from '../db/sql-client.ts';
import type { InboxPort } from '../delivery/providers/types.ts';

/** `tenantId`: the run's tenant, whose inbox tokens alone list the item (runtime/tenants/README.md). */
export function inboxOn(client: SqlClient, tenantId: string | null = null): InboxPort {
  return {
    async store(item) {
      // One item per message, with the message's id (a UUIDv7: the item's partition follows from it); a message
      // handed over again (a retried attempt) finds its item.
      const row = await one<{ id: string }>(client, sql.insertInboxItem({ ...item, tenantId }));
      if (!row) throw new Error(`the inbox item of message ${item.messageId} was not stored`);
      return row.id;
    },
  };
}
