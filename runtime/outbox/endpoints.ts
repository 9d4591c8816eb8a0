/**
 * Webhook endpoints as the API and the dashboard use them: a URL checked by the outbound guard when it is
 * registered (the workers check it again at every post: DNS can change), an event-type filter, a secret
 * generated here and shown once (at creation and at rotation), and the view that never carries the secret.
 */
import { z } from 'zod';
import { one, rows, type SqlClient } from '../db/sql-client.ts';
import { HttpError } from '../http/errors.ts';
import { checkOutboundUrl, OutboundRefusedError, outboundPolicy } from '../outbound/guard.ts';
import { generateWebhookSecret } from '../outbound/sign.ts';
import { outboundEventTypeSchema } from './event-types.ts';
import * as sql from './sql.ts';

export const endpointBody = z
  .object({
    url: z.string().max(2048),
    /** The types to send; omitted: every type, including types a later release adds. */
    eventTypes: z.array(outboundEventTypeSchema).min(1).max(64).optional(),
    description: z.string().max(500).optional(),
  })
  .strict();
export type EndpointBody = z.infer<typeof endpointBody>;

export interface EndpointView {
  id: string;
  /** The URL's origin only: the full URL (a Slack or Zapier hook's path is its credential) is shown at creation only. */
  url: string;
  eventTypes: string[] | null;
  description: string | null;
  enabled: boolean;
  createdAt: string;
  updatedAt: string;
}

/** Enabled webhook endpoints at most: each one adds a delivery per event it takes, and its share of the workers. */
export const MAX_ENABLED_ENDPOINTS = 20;
/** Events queued by one replay at most; the answer gives the cursor to continue from. */
export const REPLAY_LIMIT = 100_000;

/** `https://hooks.example.com/T0/B0/secret` → `https://hooks.example.com`: what every view but the create answer shows. */
export function originOf(url: string | null): string {
  if (!url) return '';
  try {
    return new URL(url).origin;
  } catch {
    return '';
  }
}

export function present(row: sql.EndpointRow): EndpointView {
  return {
    id: row.id,
    url: originOf(row.url),
    eventTypes: row.event_types,
    description: row.description,
    enabled: row.enabled,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}

const isUuid = (value: string) => z.uuid().safeParse(value).success;
/** A replay's time: with its offset (or Z), or a day (UTC midnight); a time without an offset would be read in the server's zone. */
const replayTime = z.union([z.iso.datetime({ offset: true }), z.iso.date()]);

export function checkEndpointId(id: string): string {
  if (!isUuid(id)) throw new HttpError(404, 'not_found', `no webhook endpoint "${id}": ids are the UUIDs POST /v1/webhook-endpoints returns`);
  return id.toLowerCase();
}

/** Refuses a URL the workers would refuse to post to (422, naming the rule and HERALD_OUTBOUND_ALLOW). */
export async function checkEndpointUrl(url: string, env: NodeJS.ProcessEnv): Promise<string> {
  try {
    return (await checkOutboundUrl(url, outboundPolicy(env))).url.toString();
  } catch (error) {
    if (error instanceof OutboundRefusedError) throw new HttpError(422, 'invalid_request', `url: ${error.message}`);
    throw error;
  }
}

export async function createEndpoint(db: SqlClient, body: EndpointBody, url: string): Promise<{ endpoint: EndpointView; secret: string }> {
  const secret = generateWebhookSecret();
  const row = await one<sql.EndpointRow>(
    db,
    sql.insertEndpoint(url, secret, body.eventTypes ? [...new Set(body.eventTypes)] : null, body.description ?? null, MAX_ENABLED_ENDPOINTS),
  );
  if (!row) throw tooManyEndpoints();
  // The one answer with the full URL: the caller has just given it.
  return { endpoint: { ...present(row), url }, secret };
}

export async function listEndpoints(db: SqlClient): Promise<EndpointView[]> {
  return (await rows<sql.EndpointRow>(db, sql.webhookEndpoints())).map(present);
}

/** The endpoint (webhook kind only: the Segment destination is managed by its environment variable), or 404. */
export async function getEndpoint(db: SqlClient, id: string): Promise<sql.EndpointRow> {
  const row = await one<sql.EndpointRow>(db, sql.endpointById(checkEndpointId(id)));
  if (row?.kind !== 'webhook') throw new HttpError(404, 'not_found', `no webhook endpoint "${id}"`);
  return row;
}

export async function rotateEndpointSecret(db: SqlClient, id: string): Promise<{ endpoint: EndpointView; secret: string }> {
  const secret = generateWebhookSecret();
  const row = await one<sql.EndpointRow>(db, sql.rotateSecret(checkEndpointId(id), secret));
  if (!row) throw new HttpError(404, 'not_found', `no webhook endpoint "${id}"`);
  return { endpoint: present(row), secret };
}

export async function setEndpointEnabled(db: SqlClient, id: string, enabled: boolean): Promise<EndpointView> {
  const row = await one<sql.EndpointRow>(db, sql.setEnabled(checkEndpointId(id), enabled, MAX_ENABLED_ENDPOINTS));
  if (row) return present(row);
  await getEndpoint(db, id); // 404 when there is no such endpoint; else the cap refused it
  throw tooManyEndpoints();
}

function tooManyEndpoints(): HttpError {
  return new HttpError(
    422,
    'invalid_request',
    `at most ${MAX_ENABLED_ENDPOINTS} webhook endpoints may be enabled at once: disable one (POST /v1/webhook-endpoints/:id/disable) first`,
  );
}

/** `since`: an ISO-8601 time (events from then on) or an event id (the events after it). */
export function parseReplayCursor(since: string | undefined): { at: string } | { eventId: string } {
  if (since && isUuid(since)) return { eventId: since.toLowerCase() };
  if (since && replayTime.safeParse(since).success) return { at: new Date(since).toISOString() };
  throw new HttpError(
    400,
    'invalid_request',
    'since: give an ISO-8601 time (since=2025-01-31T00:00:00Z: every event from then on) or an event id (the webhook-id of the last event you have: every event after it)',
  );
}

export interface Replayed {
  queued: number;
  /** True when more events were past the cap: call again with `since=next`. */
  more: boolean;
  /** The last event queued (an event-id cursor: the events after it), or null when none was. */
  next: string | null;
}

export async function replay(db: SqlClient, id: string, since: string | undefined, limit = REPLAY_LIMIT): Promise<Replayed> {
  const cursor = parseReplayCursor(since);
  const endpoint = await getEndpoint(db, id);
  const row = (await one<{ queued: number; more: boolean; last_event_id: string | null }>(db, sql.replaySince(endpoint.id, cursor, limit)))!;
  return { queued: row.queued, more: row.more, next: row.last_event_id };
}
