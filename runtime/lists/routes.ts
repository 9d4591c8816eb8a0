/**
 * `/v1/lists`: lists (subscriptions) and their members, a feature sub-app (http/app.ts mounts it). Behind an API
 * key of scope `trigger`, as users' profiles are: an application server keeps its lists as it keeps its users.
 */
import { z } from 'zod';
import { readBody } from '../http/body.ts';
import type { AppDeps } from '../http/deps.ts';
import { HttpError } from '../http/errors.ts';
import { createFeature, type Feature, type Router } from '../http/route.ts';
import { checkListId, checkUserId, deleteList, deleteMember, getList, memberDataSchema, membersPage, pageLimit, putList, putMember } from './store.ts';

const SMALL_BODY = 16 * 1024;
const listBody = z.object({ name: z.string().max(500).nullish() });
const memberBody = z.object({ data: memberDataSchema.optional() });

export function listsFeature(deps: AppDeps): Feature {
  return createFeature(deps, (routes) => listRoutes(routes, deps));
}

function listRoutes(routes: Router, deps: AppDeps): void {
  const policy = (body: number) => ({ auth: 'api-key' as const, scope: 'trigger' as const, body });

  routes.put('/v1/lists/:id', policy(SMALL_BODY), async (c) => {
    const id = checkListId(c.req.param('id'));
    const { value } = await readBody(c, listBody);
    return c.json(await putList(deps.db, id, value.name));
  });

  routes.get('/v1/lists/:id', policy(0), async (c) => {
    const id = checkListId(c.req.param('id'));
    const list = await getList(deps.db, id);
    if (!list) throw new HttpError(404, 'not_found', `no list "${id}"`);
    return c.json(list);
  });

  routes.delete('/v1/lists/:id', policy(0), async (c) => {
    const id = checkListId(c.req.param('id'));
    if (!(await deleteList(deps.db, id))) throw new HttpError(404, 'not_found', `no list "${id}"`);
    return c.body(null, 204);
  });

  routes.get('/v1/lists/:id/members', policy(0), async (c) => {
    const id = checkListId(c.req.param('id'));
    const after = c.req.query('after');
    const page = await membersPage(deps.db, id, after ? checkUserId(after, 'after') : null, pageLimit(c.req.query('limit')));
    // An unknown list answers 404 rather than an empty page, so a typo in an id is not taken for an empty list.
    if (page.items.length === 0 && !(await getList(deps.db, id))) throw new HttpError(404, 'not_found', `no list "${id}"`);
    return c.json(page);
  });

  routes.put('/v1/lists/:id/members/:userId', policy(SMALL_BODY), async (c) => {
    const id = checkListId(c.req.param('id'));
    const userId = checkUserId(c.req.param('userId'));
    const { value } = await readBody(c, memberBody);
    const created = await deps.db.transaction((tx) => putMember(tx, id, userId, value.data ?? {}));
    return c.json({ listId: id, userId, data: value.data ?? {}, created }, created ? 201 : 200);
  });

  routes.delete('/v1/lists/:id/members/:userId', policy(0), async (c) => {
    const id = checkListId(c.req.param('id'));
    const userId = checkUserId(c.req.param('userId'));
    if (!(await deleteMember(deps.db, id, userId))) throw new HttpError(404, 'not_found', `"${userId}" is not a member of "${id}"`);
    return c.body(null, 204);
  });
}
