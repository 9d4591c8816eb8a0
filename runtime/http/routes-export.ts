/**
 * `GET /v1/events/export?since=<ISO time>[&until=<ISO time>]`: the event log as NDJSON, one accepted event
 * per line `{ event, userId, properties, messageId, receivedAt }`, oldest first — the input of
 * `herald replay`. Streamed in keyset pages: one page is read only when the client has taken the previous
 * one, so a month of events never sits in memory and a slow reader holds no transaction open.
 * `since` is inclusive, `until` exclusive. Registered after the API key's middleware, like every /v1 route.
 */
import type { Router } from './route.ts';
import { z } from 'zod';
import * as sql from '../db/sql.ts';
import { rows } from '../db/sql-client.ts';
import type { AppDeps } from './deps.ts';
import { HttpError, invalid } from './errors.ts';
import { scanDatabase } from './reads.ts';

const querySchema = z.object({
  since: z.iso.datetime({ offset: true }),
  until: z.iso.datetime({ offset: true }).optional(),
});

export interface ExportOptions {
  /** Rows per database round trip (default 1000). */
  pageSize?: number;
}

export function exportRoutes(routes: Router, deps: AppDeps, options: ExportOptions = {}) {
  const pageSize = options.pageSize ?? 1000;

  routes.get('/v1/events/export', { auth: 'api-key', scope: 'read', body: 0 }, async (c) => {
    const parsed = querySchema.safeParse({ since: c.req.query('since'), until: c.req.query('until') });
    if (!parsed.success) throw invalid(parsed.error, 'query (since and until are ISO 8601 times, e.g. 2026-05-01T00:00:00Z)');
    const { since, until } = parsed.data;
    if (until !== undefined && Date.parse(until) <= Date.parse(since)) {
      throw new HttpError(400, 'invalid_request', `until (${until}) must be after since (${since})`);
    }
    // Every page from the same server: the read replica's (http/reads.ts), unless the request asks for strong.
    const db = scanDatabase(c, deps);
    const page = (after: { at: string; id: string }) =>
      rows<sql.ExportedEventRow>(db, sql.exportEventsPage({ afterAt: after.at, afterId: after.id, until: until ?? null, limit: pageSize }));

    // The first page is read before answering: a database outage is then a 503, not a truncated 200.
    let next: sql.ExportedEventRow[] | null = await page({ at: since, id: '0' });
    const encoder = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          const current: sql.ExportedEventRow[] = next ?? [];
          next = null;
          if (current.length > 0) controller.enqueue(encoder.encode(current.map(line).join('')));
          if (current.length < pageSize) {
            controller.close();
            return;
          }
          const last = current.at(-1)!;
          next = await page({ at: last.cursor_at, id: last.id });
        } catch (error) {
          // Headers are gone: the only honest signal left is an aborted body, which NDJSON readers notice.
          deps.log(error);
          controller.error(error);
        }
      },
    });
    return c.body(body, 200, { 'content-type': 'application/x-ndjson; charset=utf-8', 'cache-control': 'no-store' });
  });
}

function line(row: sql.ExportedEventRow): string {
  return `${JSON.stringify({
    event: row.event,
    userId: row.user_id,
    properties: row.properties,
    messageId: row.message_id,
    receivedAt: row.received_at.toISOString(),
  })}\n`;
}
