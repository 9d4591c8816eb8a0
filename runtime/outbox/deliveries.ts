/** An endpoint's latest deliveries with every attempt, as the API and the dashboard show them. */
import { rows, type SqlClient } from '../db/sql-client.ts';
import { type EndpointView, present } from './endpoints.ts';
import * as sql from './sql.ts';

export interface DeliveryWithAttempts {
  id: string;
  eventId: string;
  type: string;
  userId: string | null;
  state: string;
  attempts: { at: string; statusCode: number | null; error: string | null; durationMs: number }[];
  nextAttemptAt: string | null;
  lastError: string | null;
  createdAt: string;
  finishedAt: string | null;
}

/** Pending deliveries counted up to this per endpoint on the dashboard's page; past it, "at least". */
export const PENDING_COUNT_CAP = 10_000;

export interface EndpointPanel {
  endpoint: EndpointView & { kind: string };
  /** Pending deliveries, at most PENDING_COUNT_CAP (then `pendingMore`). */
  pending: number;
  pendingMore: boolean;
  deliveries: DeliveryWithAttempts[];
}

/** The deliveries with their attempts (one query for all of them), in the order given. */
async function withAttempts(db: SqlClient, deliveries: sql.DeliveryView[]): Promise<DeliveryWithAttempts[]> {
  const attempts = deliveries.length ? await rows<sql.AttemptView>(db, sql.attemptsOf(deliveries.map((d) => String(d.id)))) : [];
  const byDelivery = new Map<string, DeliveryWithAttempts['attempts']>();
  for (const a of attempts) {
    const list = byDelivery.get(String(a.delivery_id)) ?? [];
    list.push({ at: new Date(a.at).toISOString(), statusCode: a.status_code, error: a.error, durationMs: a.duration_ms });
    byDelivery.set(String(a.delivery_id), list);
  }
  return deliveries.map((d) => ({
    id: String(d.id),
    eventId: d.event_id,
    type: d.type,
    userId: d.user_key === '' ? null : d.user_key,
    state: d.state,
    attempts: byDelivery.get(String(d.id)) ?? [],
    nextAttemptAt: d.state === 'pending' ? new Date(d.next_attempt_at).toISOString() : null,
    lastError: d.last_error,
    createdAt: new Date(d.created_at).toISOString(),
    finishedAt: d.finished_at ? new Date(d.finished_at).toISOString() : null,
  }));
}

export async function deliveriesOf(db: SqlClient, endpointId: string, limit: number): Promise<DeliveryWithAttempts[]> {
  return withAttempts(db, await rows<sql.DeliveryView>(db, sql.recentDeliveries(endpointId, limit)));
}

/**
 * Every endpoint (the Segment destination too, and disabled ones) with its pending count and latest deliveries:
 * the dashboard's page, in three bounded queries whatever the number of endpoints or deliveries.
 */
export async function endpointPanels(db: SqlClient, perEndpoint: number): Promise<EndpointPanel[]> {
  const endpoints = await rows<sql.EndpointRow & { pending: number }>(db, sql.endpointsWithPending(PENDING_COUNT_CAP + 1));
  const latest = await rows<sql.DeliveryView & { endpoint_id: string }>(db, sql.latestDeliveries(perEndpoint));
  const shown = await withAttempts(db, latest);
  const byEndpoint = new Map<string, DeliveryWithAttempts[]>();
  for (const [i, d] of shown.entries()) {
    const id = latest[i]!.endpoint_id;
    const list = byEndpoint.get(id) ?? [];
    list.push(d);
    byEndpoint.set(id, list);
  }
  return endpoints.map(({ pending, ...row }) => ({
    endpoint: { ...present(row), kind: row.kind },
    pending: Math.min(pending, PENDING_COUNT_CAP),
    pendingMore: pending > PENDING_COUNT_CAP,
    deliveries: byEndpoint.get(row.id) ?? [],
  }));
}
