/** An endpoint's latest deliveries with every attempt, as the API and the dashboard show them. */
import { rows, type SqlClient } from '../db/sql-client.ts';
import { present } from './endpoints.ts';
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

export async function deliveriesOf(db: SqlClient, endpointId: string, limit: number): Promise<DeliveryWithAttempts[]> {
  const deliveries = await rows<sql.DeliveryView>(db, sql.recentDeliveries(endpointId, limit));
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

/** Every endpoint (the Segment destination too) with its counts by state and latest deliveries: the dashboard's page. */
export async function endpointPanels(db: SqlClient, perEndpoint: number) {
  const endpoints = await rows<sql.EndpointRow>(db, sql.allEndpoints());
  const counts = await rows<{ endpoint_id: string; state: string; n: number }>(db, sql.deliveryCounts());
  return Promise.all(
    endpoints.map(async (row) => {
      const byState: Record<string, number> = Object.create(null);
      for (const c of counts) if (c.endpoint_id === row.id) byState[c.state] = c.n;
      return { endpoint: { ...present(row), kind: row.kind }, counts: byState, deliveries: await deliveriesOf(db, row.id, perEndpoint) };
    }),
  );
}
