/**
 * A broadcast send accepted: the one way in for `POST /v1/broadcasts/:id/send` and the dashboard's Send button.
 * The broadcast is looked up in the live bundle, the tenant checked, and the fan-out created in the intake's
 * keyed work, so a retry with the same key answers the first broadcast run and starts nothing.
 */
import type { JsonValue } from '../../compiler/bundle/schema.ts';
import type { AppDeps } from '../http/deps.ts';
import { HttpError } from '../http/errors.ts';
import type { Accepted, RequestKey } from '../intake/index.ts';
import { tenantOfTrigger } from '../tenants/store.ts';
import { broadcastOf, sendBroadcast } from './broadcasts.ts';
import { fanoutDeps } from './fanouts.ts';

export interface BroadcastRequest {
  id: string;
  scheduledAt?: Date;
  data?: Record<string, JsonValue>;
  tenant?: string;
}

export interface BroadcastAccepted {
  runId: string;
  planned: number;
}

/** Sends the live bundle's broadcast `id` (404 when it has none, 503 before a bundle is loaded). */
export async function acceptBroadcast(
  deps: Pick<AppDeps, 'db' | 'driver' | 'intake' | 'fanouts'>,
  request: BroadcastRequest,
  key: RequestKey | undefined,
): Promise<Accepted<BroadcastAccepted>> {
  const bundle = deps.driver.bundles.live;
  if (!bundle) throw new HttpError(503, 'unavailable', 'no bundle is loaded yet');
  const broadcast = broadcastOf(bundle, request.id);
  if (!broadcast) {
    const known = Object.keys(bundle.broadcasts ?? {});
    throw new HttpError(404, 'not_found', `no broadcast "${request.id}" in the live bundle${known.length ? ` (${known.join(', ')})` : ''}`);
  }
  const fanouts = deps.fanouts ?? fanoutDeps(deps.driver);
  const tenant = await tenantOfTrigger(deps.db, request.tenant);
  const send = {
    bundle,
    broadcast,
    data: request.data ?? {},
    tenant,
    ...(request.scheduledAt ? { scheduledAt: request.scheduledAt } : {}),
  };
  return deps.intake.work(async (tx): Promise<BroadcastAccepted> => {
    const created = await sendBroadcast(fanouts, tx, send);
    return { runId: created.id, planned: created.planned };
  }, key);
}
