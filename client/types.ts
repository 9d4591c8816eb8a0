/**
 * The type-level half of the client: which exports of the customer's events module are events, the names
 * they are triggered by, and the data each one takes — all derived from the `event()` definitions, so a
 * renamed field or a changed enum fails `tsc` in the code that triggers the event.
 */
import type { z } from 'zod';
import type { EventDefinition } from 'herald';

/** Any `event()` result (EventDefinition is covariant in its data, so every definition extends this). */
export type AnyEvent = EventDefinition<unknown>;

/** The keys of `Events` whose values are event definitions (an events module may export other things). */
export type EventKeys<Events> = { [K in keyof Events]: Events[K] extends AnyEvent ? K : never }[keyof Events] & string;

/**
 * The event's own name (`'trial_started'`) when its type is a string literal, as `event()` keeps it.
 */
type LiteralName<Def> = Def extends { readonly name: infer N extends string } ? (string extends N ? never : N) : never;

/** Every name an event of `Events` can be triggered by: its export name, and its own name when known to the type system. */
export type EventName<Events> = { [K in EventKeys<Events>]: K | LiteralName<Events[K]> }[EventKeys<Events>];

/** The definition that `Name` refers to. */
export type EventFor<Events, Name> = {
  [K in EventKeys<Events>]: Name extends K | LiteralName<Events[K]> ? Events[K] : never;
}[EventKeys<Events>];

/**
 * The data an event takes: the schema's input type when the definition keeps it (as `event()` does),
 * else its output type.
 */
export type EventData<Def> = Def extends { readonly schema: infer S extends z.ZodType } ? (unknown extends z.input<S> ? z.output<S> : z.input<S>) : never;

/** Anything that runs a parameterised statement: a `pg` Client or PoolClient inside your transaction. */
export interface Queryable {
  query(text: string, values: unknown[]): Promise<unknown>;
}

export interface TriggerOptions {
  /** Names this trigger: the same key again (either mode) starts nothing new. */
  idempotencyKey?: string;
  /** Your id for the event: the runtime logs an event once per messageId. */
  messageId?: string;
}

export interface DbTriggerOptions extends TriggerOptions {
  /** Your transaction's client: the event is enqueued in it and commits or rolls back with your writes. */
  db: Queryable;
}

/** What the API answers once the runs are committed. */
export interface TriggerResult {
  /** Ids of the runs the event started. */
  runs: string[];
  /** How many of the user's waiting runs the event was delivered to. */
  routed: number;
  /** Set when the runtime had already accepted this event (same messageId): `runs` are the first acceptance's. */
  duplicate?: true;
}

/** DB mode's answer: the event is in your transaction; the runtime accepts it once you commit. */
export interface Queued {
  queued: true;
}

export interface HeraldClientOptions {
  /** Base URL of the runtime's API, e.g. `https://herald.internal:3000`. */
  url: string;
  apiKey: string;
  /** A fetch implementation (default: the global one). */
  fetch?: typeof fetch;
  /** Retries after a 502/503/504 or a connection error (default 3). */
  retries?: number;
  /** Per-attempt timeout in ms (default 10 000). */
  timeoutMs?: number;
}

export interface HeraldClient<Events> {
  /** DB mode: enqueues the event inside the transaction `options.db` belongs to. */
  trigger<Name extends EventName<Events>>(event: Name, userId: string, data: EventData<EventFor<Events, Name>>, options: DbTriggerOptions): Promise<Queued>;
  /** HTTP mode: `POST /v1/events`; resolves once the runtime has committed the runs. */
  trigger<Name extends EventName<Events>>(
    event: Name,
    userId: string,
    data: EventData<EventFor<Events, Name>>,
    options?: TriggerOptions & { db?: undefined },
  ): Promise<TriggerResult>;
}
