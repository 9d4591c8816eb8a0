/**
 * `/v1/fanouts/:id`: a fan-out's progress (planned, started, cursor, status), and its cancel. A feature sub-app
 * (http/app.ts mounts it); the fan-outs themselves are made by the doors that accept work (a trigger with
 * `recipients`, Courier's list sends, broadcasts).
 */
import { z } from 'zod';
import type { AppDeps } from '../http/deps.ts';
import { HttpError } from '../http/errors.ts';
import { createFeature, type Feature } from '../http/route.ts';
import { cancelFanout, fanoutProgress, type FanoutDeps } from './fanouts.ts';

/** The fan-out deps of an app: the ones it was given (with the audience hook), or the driver alone. */
export function fanoutDepsOf(deps: Pick<AppDeps, 'driver' | 'fanouts'>): FanoutDeps {
  return deps.fanouts ?? { driver: deps.driver };
}

function fanoutId(id: string): string {
  if (!z.uuid().safeParse(id).success) throw new HttpError(404, 'not_found', `no fan-out "${id}" (fan-out ids are UUIDs, as the trigger answered)`);
  return id;
}

export function fanoutsFeature(deps: AppDeps): Feature {
  return createFeature(deps, (routes) => {
    routes.get('/v1/fanouts/:id', { auth: 'api-key', scope: 'read', body: 0 }, async (c) => {
      const id = fanoutId(c.req.param('id'));
      const progress = await fanoutProgress(deps.db, id);
      if (!progress) throw new HttpError(404, 'not_found', `no fan-out "${id}"`);
      return c.json(progress);
    });
    routes.post('/v1/fanouts/:id/cancel', { auth: 'api-key', scope: 'admin', body: 0 }, async (c) => {
      const id = fanoutId(c.req.param('id'));
      const progress = await deps.db.transaction((tx) => cancelFanout(tx, id));
      if (!progress) throw new HttpError(404, 'not_found', `no fan-out "${id}"`);
      return c.json(progress);
    });
  });
}
