/** Profiles, presence, preferences, and the per-user views: message log and in-app inbox. */
import type { Hono } from 'hono';
import { z } from 'zod';
import { CHANNELS, channelSchema, type Channel } from '../../compiler/bundle/schema.ts';
import * as sql from '../db/sql.ts';
import { exec, one, rows } from '../db/sql-client.ts';
import { resolvePreference } from '../engine/index.ts';
import { loadUserSnapshot } from '../driver/snapshot.ts';
import { isValidTimeZone } from '../../compiler/schedule/window.ts';
import { readBody } from './body.ts';
import type { AppDeps } from './deps.ts';
import { HttpError } from './errors.ts';
import { presentMessage } from './present.ts';

const profileBody = z
  .object({
    email: z.email().nullable(),
    phone_number: z.string().regex(/^\+?[0-9 ()-]{5,20}$/, 'a phone number in E.164 form, e.g. +14155550100').nullable(),
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

export function userRoutes(app: Hono, deps: AppDeps) {
  app.put('/v1/users/:userId', async (c) => {
    const { value } = await readBody(c, profileBody);
    const row = await one<Record<string, unknown>>(deps.db, sql.upsertUser(c.req.param('userId'), value));
    return c.json({ user: row });
  });

  app.get('/v1/users/:userId', async (c) => {
    const row = await one(deps.db, sql.userById(c.req.param('userId')));
    if (!row) throw new HttpError(404, 'not_found', `no user "${c.req.param('userId')}"`);
    return c.json({ user: row });
  });

  app.post('/v1/users/:userId/heartbeat', async (c) => {
    const at = new Date(deps.driver.now());
    await exec(deps.db, sql.markActive(c.req.param('userId'), at));
    return c.json({ activeAt: at.toISOString() });
  });

  app.get('/v1/users/:userId/messages', async (c) => {
    const limit = limitOf(c.req.query('limit'));
    const list = await rows<sql.MessageRow>(deps.db, sql.messagesOfUser(c.req.param('userId'), limit, decodeCursor(c.req.query('cursor'))));
    const last = list[list.length - 1];
    const next = list.length === limit && last ? Buffer.from(`${last.created_at.toISOString()}|${last.id}`).toString('base64url') : null;
    return c.json({ messages: list.map(presentMessage), next });
  });

  app.get('/v1/users/:userId/inbox', async (c) => {
    const userId = c.req.param('userId');
    const items = await rows<Record<string, unknown>>(deps.db, sql.inboxOf(userId, limitOf(c.req.query('limit'))));
    const unread = await one<{ n: number }>(deps.db, sql.unreadCount(userId));
    return c.json({ items, unread: unread?.n ?? 0 });
  });

  app.post('/v1/users/:userId/inbox/:id/read', async (c) => {
    if (!z.uuid().safeParse(c.req.param('id')).success) throw new HttpError(404, 'not_found', 'no such inbox item');
    const item = await one(deps.db, sql.markInboxRead(c.req.param('userId'), c.req.param('id')));
    if (!item) throw new HttpError(404, 'not_found', `no inbox item "${c.req.param('id')}" for user "${c.req.param('userId')}"`);
    return c.json({ item });
  });

  app.get('/v1/users/:userId/preferences', async (c) => {
    const bundle = deps.driver.bundles.live;
    const user = await loadUserSnapshot(deps.db, c.req.param('userId'));
    const categories: Record<string, unknown> = {};
    for (const category of Object.values(bundle?.categories ?? {})) {
      const channels: Record<string, { allowed: boolean; rule: string }> = {};
      for (const channel of CHANNELS) channels[channel] = resolvePreference(bundle!, category.id, channel, user);
      categories[category.id] = { description: category.description, required: category.required, channels };
    }
    return c.json({ userId: c.req.param('userId'), categories });
  });

  app.put('/v1/users/:userId/preferences', async (c) => {
    const { value } = await readBody(c, preferencesBody);
    const bundle = deps.driver.bundles.live;
    const userId = c.req.param('userId');
    await deps.db.transaction(async (tx) => {
      for (const [categoryId, channels] of Object.entries(value.categories)) {
        const category = bundle?.categories[categoryId];
        if (!category) throw new HttpError(400, 'invalid_request', `unknown category "${categoryId}" (known: ${Object.keys(bundle?.categories ?? {}).join(', ')})`);
        for (const [channel, allowed] of Object.entries(channels) as [Channel, boolean][]) {
          if (category.required && !allowed) {
            throw new HttpError(400, 'invalid_request', `category "${categoryId}" is required and cannot be opted out of (${channel})`);
          }
          await exec(tx, sql.setPreference(userId, categoryId, channel, allowed));
        }
      }
    });
    return c.json({ userId, saved: value.categories });
  });
}
