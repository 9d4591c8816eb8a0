/**
 * The lifecycle events Herald reports (issue 23). The names are the contract; the database's triggers
 * (db/migrations/0010-outbox.ts) write exactly these.
 */
import { z } from 'zod';

export const OUTBOUND_EVENT_TYPES = [
  'message.queued',
  'message.sent',
  'message.delivered',
  'message.opened',
  'message.clicked',
  'message.bounced',
  'message.failed',
  'message.skipped',
  'run.started',
  'run.completed',
  'run.cancelled',
  'run.failed',
  'preference.changed',
  'user.unsubscribed',
] as const;

export const outboundEventTypeSchema = z.enum(OUTBOUND_EVENT_TYPES);

/** An event as the outbox holds it and as receivers get it (the body of the signed POST). */
export interface OutboundEvent {
  id: string;
  type: string;
  timestamp: string;
  data: Record<string, unknown>;
}
