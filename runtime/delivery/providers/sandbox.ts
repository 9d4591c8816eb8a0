/**
 * The sandbox provider: records what it would send instead of sending it. It serves every channel whose
 * real provider has no credentials, so a local run works end to end with no provider account.
 */
import type { DeliveryProvider, OutboundMessage } from './types.ts';

export interface SandboxDelivery {
  at: string;
  messageId: string;
  provider: string;
  channel: string;
  to: string;
  content: Record<string, unknown>;
}

export function createSandboxProvider(onDelivery: (delivery: SandboxDelivery) => void = () => {}): DeliveryProvider {
  return {
    kind: 'sandbox',
    async send(message: OutboundMessage) {
      const to =
        message.channel === 'email'
          ? message.to.email
          : message.channel === 'sms'
            ? message.to.phone_number
            : message.channel === 'push'
              ? (message.to.push_tokens ?? []).join(',')
              : message.to.userId;
      const delivery: SandboxDelivery = {
        at: new Date().toISOString(),
        messageId: message.messageId,
        provider: message.provider.id,
        channel: message.channel,
        to: to ?? '',
        content: message.content as Record<string, unknown>,
      };
      onDelivery(delivery);
      return { ok: true, providerMessageId: `sandbox-${message.messageId}`, response: { sandbox: true, to: delivery.to, recordedAt: delivery.at } };
    },
  };
}
