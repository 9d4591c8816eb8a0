/**
 * The Segment destination: engagement back into the team's Segment as `track` calls named and shaped as
 * Segment's own specs name them (the Email spec: Email Delivered, Email Opened, Email Link Clicked, Email
 * Bounced, Unsubscribed; the Mobile/Push spec: Push Notification Received, Tapped, Bounced), through Segment's
 * Node client. It is a built-in subscriber of the outbox (an endpoint row of kind `segment`), so its events have
 * the same ordering, retries and dead letter as a webhook's.
 */
import { Analytics } from '@segment/analytics-node';
import type { OutboundEvent } from './event-types.ts';

/** The outbox event types the destination subscribes to. */
export const SEGMENT_EVENT_TYPES = ['message.delivered', 'message.opened', 'message.clicked', 'message.bounced', 'user.unsubscribed'] as const;

export interface SegmentTrack {
  userId: string;
  event: string;
  properties: Record<string, unknown>;
  timestamp: string;
  messageId: string;
}

const EMAIL: Record<string, string> = {
  'message.delivered': 'Email Delivered',
  'message.opened': 'Email Opened',
  'message.clicked': 'Email Link Clicked',
  'message.bounced': 'Email Bounced',
};
const PUSH: Record<string, string> = {
  'message.delivered': 'Push Notification Received',
  'message.opened': 'Push Notification Tapped',
  'message.clicked': 'Push Notification Tapped',
  'message.bounced': 'Push Notification Bounced',
};

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);
const defined = (properties: Record<string, unknown>) => Object.fromEntries(Object.entries(properties).filter(([, v]) => v !== undefined));

/** The track call an outbox event becomes, or null: not engagement Segment's specs name (an SMS delivery, a user without id). */
export function segmentTrack(event: OutboundEvent): SegmentTrack | null {
  const data = event.data;
  const userId = text(data.user_id);
  if (!userId) return null;
  const base = { userId, timestamp: event.timestamp, messageId: event.id };
  if (event.type === 'user.unsubscribed') {
    return {
      ...base,
      event: 'Unsubscribed',
      properties: defined({
        email_id: text(data.message_id),
        campaign_id: text(data.workflow),
        campaign_name: text(data.workflow),
        channel: text(data.channel),
      }),
    };
  }
  const channel = text(data.channel);
  const name = channel === 'email' ? EMAIL[event.type] : channel === 'push' ? PUSH[event.type] : undefined;
  if (!name) return null;
  const detail = (data.detail ?? {}) as Record<string, unknown>;
  const campaign = { campaign_id: text(data.workflow), campaign_name: text(data.workflow), campaign_method: 'herald' };
  if (channel === 'push') return { ...base, event: name, properties: defined({ ...campaign, message_id: text(data.message_id) }) };
  return {
    ...base,
    event: name,
    properties: defined({
      email_id: text(data.message_id),
      email_subject: text(data.subject),
      ...campaign,
      ...(event.type === 'message.clicked' ? { link_url: text(detail.url) } : {}),
    }),
  };
}

export interface SegmentDestination {
  /** Sends the event's track call (nothing for an event the specs do not name); rejects when Segment refused it. */
  send(event: OutboundEvent): Promise<void>;
  close(): Promise<void>;
}

/** `host`: Segment's API by default; tests point it at a local server. */
export function createSegmentDestination(writeKey: string, host?: string): SegmentDestination {
  const analytics = new Analytics({ writeKey, ...(host ? { host } : {}), flushInterval: 200, maxRetries: 0 });
  return {
    send(event) {
      const track = segmentTrack(event);
      if (!track) return Promise.resolve();
      return new Promise((resolve, reject) =>
        analytics.track(track, (error) => (error ? reject(error instanceof Error ? error : new Error(String(error))) : resolve())),
      );
    },
    close: () => analytics.closeAndFlush({ timeout: 5_000 }),
  };
}
