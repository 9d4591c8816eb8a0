/**
 * The in-app channel: the message becomes an item in the user's inbox. The item goes through the inbox port
 * the delivery code hands over with the message (built on the job's transaction, so it is written with the
 * message's log); this adapter never sees the database.
 */
import type { DeliveryProvider, DeliveryResult, OutboundMessage } from './types.ts';

export const inappProvider: DeliveryProvider = {
  kind: 'inapp',
  async send(message: OutboundMessage): Promise<DeliveryResult> {
    if (!message.to.userId) return { ok: false, retryable: false, error: 'in-app messages need a user id' };
    if (!message.inbox) return { ok: false, retryable: false, providerFault: true, error: 'in-app delivery was given no inbox to write to' };
    const content = message.content as { title: string; body: string; actionUrl?: string };
    const id = await message.inbox.store({
      userId: message.to.userId,
      messageId: message.messageId,
      title: content.title,
      body: content.body,
      actionUrl: content.actionUrl ?? null,
    });
    return { ok: true, providerMessageId: id, response: { inboxItemId: id } };
  },
};
