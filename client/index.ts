/**
 * `herald/client`: trigger the events your notifications are defined on, typed by their zod schemas.
 *
 * @example
 * import * as events from './notifications/events.ts';
 * const herald = createHeraldClient(events, { url: process.env.HERALD_URL!, apiKey: process.env.HERALD_API_KEY! });
 * await herald.trigger('trialStarted', user.id, { first_name: 'Ada', plan_type: 'pro' });        // HTTP
 * await herald.trigger('trialStarted', user.id, { first_name: 'Ada', plan_type: 'pro' }, { db: tx }); // in your transaction
 */
import { enqueueEvent } from './db.ts';
import { HeraldError } from './errors.ts';
import { postEvent, type HttpTransport } from './http.ts';
import type { AnyEvent, DbTriggerOptions, HeraldClient, HeraldClientOptions, Queued, TriggerOptions, TriggerResult } from './types.ts';
import { validateData, validateUserId } from './validate.ts';

export { HeraldError } from './errors.ts';
export type {
  DbTriggerOptions,
  EventData,
  EventFor,
  EventName,
  HeraldClient,
  HeraldClientOptions,
  Queryable,
  Queued,
  TriggerOptions,
  TriggerResult,
} from './types.ts';

function isEvent(value: unknown): value is AnyEvent {
  return (
    typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'event' && typeof (value as { name?: unknown }).name === 'string'
  );
}

/**
 * The definitions by every name they may be triggered by: export name and the event's own name. Other
 * exports of the module (helpers, constants) are ignored.
 */
function indexEvents(events: object): Map<string, AnyEvent> {
  const byName = new Map<string, AnyEvent>();
  for (const [key, value] of Object.entries(events)) {
    if (!isEvent(value)) continue;
    byName.set(key, value);
    byName.set(value.name, value);
  }
  return byName;
}

export function createHeraldClient<Events extends object>(events: Events, options: HeraldClientOptions): HeraldClient<Events> {
  const byName = indexEvents(events);
  const transport: HttpTransport = {
    url: options.url,
    apiKey: options.apiKey,
    fetch: options.fetch ?? globalThis.fetch,
    retries: options.retries ?? 3,
    timeoutMs: options.timeoutMs ?? 10_000,
  };

  async function trigger(
    name: string,
    userId: string,
    data: unknown,
    opts: TriggerOptions & { db?: DbTriggerOptions['db'] } = {},
  ): Promise<TriggerResult | Queued> {
    const definition = byName.get(name);
    if (!definition)
      throw new HeraldError(
        null,
        'unknown_event',
        `no event "${name}" among the definitions given to createHeraldClient (${[...new Set([...byName.values()].map((d) => d.name))].join(', ')})`,
      );
    validateUserId(userId);
    validateData(definition, data);
    // The data is sent as given; the runtime stores it and checks it again against the live bundle.
    if (opts.db) {
      await enqueueEvent(opts.db, {
        event: definition.name,
        userId,
        properties: data,
        messageId: opts.messageId ?? null,
        idempotencyKey: opts.idempotencyKey ?? null,
      });
      return { queued: true };
    }
    return postEvent(
      transport,
      { event: definition.name, userId, properties: data, ...(opts.messageId === undefined ? {} : { messageId: opts.messageId }) },
      opts.idempotencyKey ?? crypto.randomUUID(), // Web Crypto: no Node import, for any server runtime
    );
  }

  // The overloads of HeraldClient are the typed surface; the implementation above is checked at run time.
  return { trigger } as HeraldClient<Events>;
}
