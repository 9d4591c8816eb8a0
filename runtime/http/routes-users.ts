/** Profiles, presence, preferences, and the per-user views: message log and in-app inbox. */
import type { Router } from './route.ts';
import { MAX_BODY_BYTES } from './limits.ts';
import { auditRequest } from '../audit/routes.ts';
import { z } from 'zod';
import { channelSchema } from '../../compiler/bundle/schema.ts';
import * as sql from '../db/sql.ts';
import { exec, one, rows } from '../db/sql-client.ts';
import { reportInboxEngagement } from '../inbox/engagement.ts';
import { loadUserSnapshot } from '../execution/snapshot.ts';
import { gainedAddress, type SavedAddresses, wakeAddressWaits } from '../intake/address-waits.ts';
import { savePreferences } from '../preferences/save.ts';
import { deleteUserAudited } from '../users/delete.ts';
import { resolveAll } from '../preferences/view.ts';
import { isValidTimeZone } from '../../compiler/bundle/window.ts';
import { readBody } from './body.ts';
import { emailAddress, phoneNumber } from './contact.ts';
import type { AppDeps } from './deps.ts';
import { HttpError } from './errors.ts';
import { presentMessage } from './present.ts';
import { scanDatabase } from './reads.ts';

const profileBody = z
  .object({
    email: emailAddress.nullable(),
    phone_number: phoneNumber.nullable(),
    push_tokens: z.array(z.string().min(1)).max(50),
    locale: z.string().min(2).max(35).nullable(),
    timezone: z.string().refine(isValidTimeZone, 'an IANA time zone such as "Europe/Paris"').nullable(),
    traits: z.record(z.string(), z.json()),
  })
  .partial()
  .strict();

const preferencesBody = z.object({
  categories: z.record(z.string(), z.partialRecord(channelSchema, z.boolean())),
});

const limitOf = (raw: string | undefined, fallback = 50) => {
  const n = Number(raw ?? fallback);
  if (!Number.isInteger(n) || n < 1 || n > 500) throw new HttpError(400, 'invalid_request', 'limit must be a whole number from 1 to 500');
  return n;
};

function decodeCursor(cursor: string | undefined): { createdAt: Date; id: string } | undefined {
  if (!cursor) return undefined;
  const [at, id] = Buffer.from(cursor, 'base64url').toString().split('|');
  const createdAt = new Date(at ?? '');
  if (!id || Number.isNaN(createdAt.getTime())) throw new HttpError(400, 'invalid_request', 'cursor is not one this API returned');
  return { createdAt, id };
}

export function userRoutes(routes: Router, deps: AppDeps) {
  routes.put('/v1/users/:userId', { auth: 'api-key', scope: 'trigger', body: MAX_BODY_BYTES }, async (c) => {
    const { value } = await readBody(c, profileBody);
    const userId = c.req.param('userId');
    const row = await deps.db.transaction(async (tx) => {
      const { address_before, ...saved } = (await one<SavedAddresses & Record<string, unknown>>(tx, sql.upsertUser(userId, value)))!;
      // An address arriving after the trigger: the user's sends waiting for one go on now.
      if (gainedAddress(address_before, saved)) await wakeAddressWaits(deps.driver, tx, userId);
      return saved;
    });
    return c.json({ user: row });
  });

  routes.get('/v1/users/:userId', { auth: 'api-key', scope: 'trigger', body: 0 }, async (c) => {
    const row = await one(deps.db, sql.userById(c.req.param('userId')));
    if (!row) throw new HttpError(404, 'not_found', `no user "${c.req.param('userId')}"`);
    return c.json({ user: row });
  });

  // Idempotent: a user with nothing stored is 200 with nothing deleted (runtime/README.md, "Deleting a user").
  routes.delete('/v1/users/:userId', { auth: 'api-key', scope: 'admin', body: 0 }, async (c) => {
    const { userId, ...deleted } = await deleteUserAudited(c, deps, c.req.param('userId'));
    return c.json({ userId, deleted });
  });

  routes.post('/v1/users/:userId/heartbeat', { auth: 'api-key', scope: 'trigger', body: 0 }, async (c) => {
    const at = new Date(deps.driver.now());
    await exec(deps.db, sql.markActive(c.req.param('userId'), at));
    return c.json({ activeAt: at.toISOString() });
  });

  routes.get('/v1/users/:userId/messages', { auth: 'api-key', scope: 'read', body: 0 }, async (c) => {
    const limit = limitOf(c.req.query('limit'));
    // The message log is a scan: the read replica's (http/reads.ts), as old as its lag.
    const tenant = c.req.query('tenant') || undefined;
    const list = await rows<sql.MessageRow>(
      scanDatabase(c, deps),
      sql.messagesOfUser(c.req.param('userId'), limit, decodeCursor(c.req.query('cursor')), tenant),
    );
    const last = list[list.length - 1];
    const next = list.length === limit && last ? Buffer.from(`${last.created_at.toISOString()}|${last.id}`).toString('base64url') : null;
    return c.json({ messages: list.map(presentMessage), next });
  });

  routes.get('/v1/users/:userId/inbox', { auth: 'api-key', scope: 'read', body: 0 }, async (c) => {
    const userId = c.req.param('userId');
    const items = await rows<Record<string, unknown>>(deps.db, sql.inboxOf(userId, limitOf(c.req.query('limit'))));
    const unread = await one<{ n: number }>(deps.db, sql.unreadCount(userId));
    return c.json({ items, unread: unread?.n ?? 0 });
  });

  routes.post('/v1/users/:userId/inbox/:id/read', { auth: 'api-key', scope: 'trigger', body: 0 }, async (c) => {
    if (!z.uuid().safeParse(c.req.param('id')).success) throw new HttpError(404, 'not_found', 'no such inbox item');
    const userId = c.req.param('userId');
    // Your backend saying the user read it (elsewhere in your app): reported like a read in the inbox itself.
    const item = await deps.db.transaction(async (tx) => {
      const read = await one<{ message_id: string }>(tx, sql.markInboxRead(userId, c.req.param('id')));
      if (read) await reportInboxEngagement(deps.driver, tx, userId, [read.message_id], 'read');
      return read;
    });
    if (!item) throw new HttpError(404, 'not_found', `no inbox item "${c.req.param('id')}" for user "${c.req.param('userId')}"`);
    return c.json({ item });
  });

  routes.get('/v1/users/:userId/preferences', { auth: 'api-key', scope: 'trigger', body: 0 }, async (c) => {
    const user = await loadUserSnapshot(deps.db, c.req.param('userId'));
    const categories: Record<string, unknown> = {};
    for (const { id, description, required, channels } of resolveAll(deps.driver.bundles.live, user)) categories[id] = { description, required, channels };
    return c.json({ userId: c.req.param('userId'), categories });
  });

  routes.put('/v1/users/:userId/preferences', { auth: 'api-key', scope: 'trigger', body: MAX_BODY_BYTES }, async (c) => {
    const { value } = await readBody(c, preferencesBody);
    const userId = c.req.param('userId');
    // The same rules as the hosted preference center (runtime/preferences/save.ts): a refusal is a 400.
    await savePreferences(deps.db, deps.driver.bundles.live, userId, value.categories);
    await auditRequest(c, deps, { action: 'preferences_set', target: `user:${userId}`, details: { categories: value.categories } });
    return c.json({ userId, saved: value.categories });
  });
}
