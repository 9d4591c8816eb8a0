/** `GET /v1/audit`: the audit log, newest first, for admins (the dashboard lists the same entries). */
import type { Context } from 'hono';
import { z } from 'zod';
import * as sql from '../db/sql.ts';
import { rows } from '../db/sql-client.ts';
import type { AppDeps } from '../http/deps.ts';
import { invalid } from '../http/errors.ts';
import { scanDatabase } from '../http/reads.ts';
import { clientAddress, trustedProxiesFrom } from '../http/client-address.ts';
import { createFeature, type Feature, keyOf, type Router } from '../http/route.ts';
import { keyActor, type AuditEntry } from './audit.ts';

/** An entry id to page before; ids are bigint, so a larger number is refused here rather than by Postgres. */
export const auditCursor = z
  .string()
  .regex(/^\d{1,19}$/, 'a cursor this API returned')
  // zod runs refinements after a failed regex too: only digits reach BigInt, which throws on anything else.
  .refine((v) => !/^\d+$/.test(v) || BigInt(v) <= 9_223_372_036_854_775_807n, 'a cursor this API returned');

const auditQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  before: auditCursor.optional(),
  action: z.string().max(64).optional(),
});

/** Records an action taken through the API, as the key that authenticated it, from the client's address. */
export function auditRequest(c: Context, deps: Pick<AppDeps, 'auditLog' | 'env'>, entry: Omit<AuditEntry, 'actor' | 'ip'>): Promise<void> {
  const key = keyOf(c);
  return deps.auditLog.record({ ...entry, actor: key ? keyActor(key) : 'unknown', ip: clientAddress(c, trustedProxiesFrom(deps.env)) });
}

export function presentAudit(row: sql.AuditRow) {
  return { id: row.id, at: row.at.toISOString(), actor: row.actor, action: row.action, target: row.target, ip: row.ip, details: row.details };
}

/** The audit log: a sub-app that runtime/http/app.ts mounts. */
export function auditFeature(deps: AppDeps): Feature {
  return createFeature(deps, (routes) => auditRoutes(routes, deps));
}

function auditRoutes(routes: Router, deps: AppDeps): void {
  routes.get('/v1/audit', { auth: 'api-key', scope: 'admin', body: 0 }, async (c) => {
    const parsed = auditQuery.safeParse(c.req.query());
    if (!parsed.success) throw invalid(parsed.error, 'query');
    const q = parsed.data;
    // A scan: the read replica's when one is set (http/reads.ts); an entry just recorded may be a moment late.
    const list = await rows<sql.AuditRow>(scanDatabase(c, deps), sql.auditPage(q.limit, q.before ?? null, q.action ?? null));
    const last = list[list.length - 1];
    return c.json({ entries: list.map(presentAudit), next: list.length === q.limit && last ? last.id : null });
  });
}
