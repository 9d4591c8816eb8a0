/** The in-app channel: the message becomes an item in the user's inbox, in the same transaction as its log. */
import { randomUUID } from 'node:crypto';
import * as sql from '../db/sql.ts';
import { one } from '../db/sql-client.ts';
import type { DeliveryProvider, OutboundMessage } from './types.ts';

export const inappProvider: DeliveryProvider = {
  kind: 'inapp',
  async send(message: OutboundMessage) {
    if (!message.to.userId) return { ok: false, retryable: false, error: 'in-app messages need a user id' };
    const content = message.content as { title: string; body: string; actionUrl?: string };
    const row = await one<{ id: string }>(
      message.tx,
      sql.insertInboxItem({
        id: randomUUID(),
        userId: message.to.userId,
        messageId: message.messageId,
        title: content.title,
        body: content.body,
        actionUrl: content.actionUrl ?? null,
      }),
    );
    return { ok: true, providerMessageId: row!.id, response: { inboxItemId: row!.id } };
  },
};
