import type {
  BranchArmSpec,
  BranchOtherwiseSpec,
  BranchSpec,
  CancelOnSpec,
  CancelSpec,
  CategoryDefinition,
  Channel,
  Cmp,
  ConditionSpec,
  DelaySpec,
  DigestScheduleSpec,
  DigestSpec,
  EngagementKind,
  EnvRef,
  EventDefinition,
  EventMatchSpec,
  FetchSpec,
  JsonValue,
  ProfileValueSpec,
  ProviderDefinition,
  RoutingSpec,
  ScheduleDefinition,
  SendSpec,
  SendWindowSpec,
  StepSpec,
  TemplateDefinition,
  ThrottleSpec,
  UpdateProfileSpec,
  WaitForSpec,
  WorkflowDefinition,
} from './definitions.ts';
import type { Duration } from './duration.ts';
import type { DataPath, PathValue } from './paths.ts';
import type { z } from 'zod';

/** Profile fields a condition or template may read, beside free-form `traits`. */
export type ProfileField = 'id' | 'email' | 'phone_number' | 'locale' | 'timezone';

/** A value in the run's context, ready to be compared. */
export interface Operand<T> {
  readonly ref: string;
  eq(value: T): ConditionSpec;
  neq(value: T): ConditionSpec;
  gt(value: T): ConditionSpec;
  gte(value: T): ConditionSpec;
  lt(value: T): ConditionSpec;
  lte(value: T): ConditionSpec;
  in(values: readonly T[]): ConditionSpec;
  contains(value: T extends readonly (infer Item)[] ? Item : T): ConditionSpec;
  exists(): ConditionSpec;
}

function operand<T>(ref: string): Operand<T> {
  const compare = (cmp: Cmp, right?: unknown): ConditionSpec =>
    right === undefined ? { op: 'compare', left: { ref }, cmp } : { op: 'compare', left: { ref }, cmp, right: right as JsonValue };
  return {
    ref,
    eq: (v) => compare('eq', v),
    neq: (v) => compare('neq', v),
    gt: (v) => compare('gt', v),
    gte: (v) => compare('gte', v),
    lt: (v) => compare('lt', v),
    lte: (v) => compare('lte', v),
    in: (vs) => compare('in', vs),
    contains: (v) => compare('contains', v),
    exists: () => compare('exists'),
  };
}

export interface SendOptions<Data> {
  template: TemplateDefinition<Data> | string;
  /** One channel; or `routing` to choose among several. */
  channel?: Channel;
  routing?: RoutingSpec;
  /** Provider ids (or definitions) to use instead of the channel's failover order. */
  providers?: (ProviderDefinition | string)[];
  /** Quiet hours: outside the window the send is deferred to its next opening. */
  window?: SendWindowSpec;
  /** Bypasses windows and preferences; allowed only in a required category. */
  critical?: boolean;
  /**
   * Read sync (Courier's cross-channel read): when the user reads this step's in-app item (or follows its action),
   * the step's messages on its other channels are marked read too. Needs `inapp` and another channel.
   * @example s.send('welcome', { template: welcome, routing: { method: 'all', channels: ['email', 'inapp'] }, readSync: true })
   */
  readSync?: boolean;
}

/** The `s` passed to `workflow({ steps: (s) => [...] })`: step builders and typed condition helpers. */
export interface StepBuilder<Data> {
  send(id: string, options: SendOptions<Data>): SendSpec;
  /**
   * Waits a fixed time, or until a moment the run carries: a date-time field of the trigger's data
   * (`z.iso.datetime()`) or a trait, moved by `offset`. A moment already past goes on at once, or with
   * `ifPast: 'skip'` ends the run (a reminder for a date that has gone).
   * @example s.delay('wait-1h', '1h')
   * @example s.delay('before-trial-end', { until: s.data('trial_ends_at'), offset: '-3d', ifPast: 'skip' })
   */
  delay(id: string, wait: Duration | DelayUntil): DelaySpec;
  /**
   * Waits for an engagement with an earlier send, or for an event of the run's user, until `timeout`. With
   * `match`, only an event about the same thing counts (its field, left, equals the trigger's field, right).
   * @example s.waitFor('paid', { event: orderPaid, match: { order_id: 'order_id' }, timeout: '1d' })
   */
  waitFor<Event = unknown>(
    id: string,
    options:
      | { engagement: { step: string; kind: EngagementKind }; timeout: Duration }
      | { event: EventDefinition<Event> | string; match?: EventMatch<Event, Data>; timeout: Duration },
  ): WaitForSpec;
  branch(id: string, arms: (BranchArmSpec | BranchOtherwiseSpec)[]): BranchSpec;
  /**
   * Gathers the trigger events of one user (and `key`) into one run: for a `window` after the first, or until
   * the next occurrence of a `schedule`. Later sends see `digest.items` (at most `maxItems`, the oldest),
   * `digest.count` (all gathered) and `digest.omitted` (left out of `items`).
   * @example s.digest('daily', { window: '1d' })
   * @example s.digest('daily', { schedule: { days: 'weekdays', at: '09:00', timezone: 'user' }, maxItems: 20 })
   */
  digest(
    id: string,
    options: ({ window: Duration; schedule?: never } | { schedule: DigestScheduleSpec; window?: never }) & { key?: DataPath<Data>; maxItems?: number },
  ): DigestSpec;
  throttle(id: string, options: { limit: number; window: Duration; key?: DataPath<Data> }): ThrottleSpec;
  updateProfile(id: string, set: Record<string, ProfileValueSpec>): UpdateProfileSpec;
  cancel(id: string, options?: { reason?: string }): CancelSpec;
  /**
   * Fetches fresh data mid-workflow: GET `url` (`{{field}}` of the trigger's data, URL-encoded), the JSON answer
   * validated against `response`, then readable by later steps as `s.fetched(id, 'field')` and `{{fetched.<id>.field}}`.
   * 5xx, 429 and timeouts are retried twice (after 1 s, then 4 s); then `onError` decides: `'fail'` (default) fails the
   * run, `'continue'` goes on without it (conditions on it are false).
   * @example s.fetch('cart', { url: 'https://shop.example.com/carts/{{cart_id}}', headers: { Authorization: env('SHOP_TOKEN') }, response: z.object({ status: z.enum(['open', 'paid']) }), timeout: '5s' })
   */
  fetch<Response>(id: string, options: FetchOptions<Response>): FetchSpec;
  /**
   * A field of an earlier fetch's answer (`s.fetched('cart', 'status').eq('open')`); checked against its `response`
   * schema by the compiler. Absent when the fetch failed with `onError: 'continue'`: every comparison is then false.
   */
  fetched<T = JsonValue>(step: string, path: string): Operand<T>;

  /** A field of the trigger's data; the path is checked against the event's schema. */
  data<P extends DataPath<Data>>(path: P): Operand<PathValue<Data, P>>;
  /** A reference usable as a value in `updateProfile`. */
  ref<P extends DataPath<Data>>(path: P): { ref: string };
  user: {
    field<F extends ProfileField>(name: F): Operand<string>;
    trait<T = JsonValue>(name: string): Operand<T>;
    /** The user was active in the app (heartbeat, open inbox stream, page/screen call) within the duration. */
    activeWithin(duration: Duration): ConditionSpec;
    /** The profile has an address for the channel (email, phone number, push token). */
    hasChannel(channel: Channel): ConditionSpec;
  };
  /** An earlier send of this run reached that engagement. */
  engaged(step: string, kind: EngagementKind): ConditionSpec;
  /** The user's preference allows this category on this channel. */
  preference(category: CategoryDefinition | string, channel: Channel): ConditionSpec;
  and(...conditions: ConditionSpec[]): ConditionSpec;
  or(...conditions: ConditionSpec[]): ConditionSpec;
  not(condition: ConditionSpec): ConditionSpec;
}

function idOf(value: { id: string } | string): string {
  return typeof value === 'string' ? value : value.id;
}

/** The one step builder: workflows and broadcasts (compiler/dsl/broadcast.ts) build their steps with it. */
export function stepBuilder<Data>(): StepBuilder<Data> {
  return {
    send: (id, o) => ({
      kind: 'send',
      id,
      template: o.template as SendSpec['template'],
      ...(o.channel === undefined ? {} : { channel: o.channel }),
      ...(o.routing === undefined ? {} : { routing: o.routing }),
      ...(o.providers === undefined ? {} : { providers: o.providers }),
      ...(o.window === undefined ? {} : { window: o.window }),
      ...(o.critical === undefined ? {} : { critical: o.critical }),
      ...(o.readSync === undefined ? {} : { readSync: o.readSync }),
    }),
    delay: (id, wait) =>
      typeof wait === 'object' && wait !== null
        ? {
            kind: 'delay',
            id,
            // Only the ref: an operand's comparison methods are not data. A missing `until` is the compiler's to report.
            ...(wait.until === undefined ? {} : { until: { ref: wait.until.ref } }),
            ...(wait.offset === undefined ? {} : { offset: wait.offset }),
            ...(wait.ifPast === undefined ? {} : { ifPast: wait.ifPast }),
          }
        : { kind: 'delay', id, duration: wait },
    waitFor: (id, o) =>
      'engagement' in o
        ? { kind: 'waitFor', id, engagement: o.engagement, timeout: o.timeout }
        : {
            kind: 'waitFor',
            id,
            event: o.event as WaitForSpec['event'],
            ...(o.match === undefined ? {} : { match: o.match as EventMatchSpec }),
            timeout: o.timeout,
          },
    branch: (id, arms) => ({ kind: 'branch', id, arms }),
    digest: (id, o) => ({
      kind: 'digest',
      id,
      ...(o.window === undefined ? {} : { window: o.window }),
      ...(o.schedule === undefined ? {} : { schedule: o.schedule }),
      ...(o.key === undefined ? {} : { key: `data.${o.key}` }),
      ...(o.maxItems === undefined ? {} : { maxItems: o.maxItems }),
    }),
    throttle: (id, o) => ({
      kind: 'throttle',
      id,
      limit: o.limit,
      window: o.window,
      ...(o.key === undefined ? {} : { key: `data.${o.key}` }),
    }),
    updateProfile: (id, set) => ({ kind: 'updateProfile', id, set }),
    cancel: (id, o) => ({ kind: 'cancel', id, ...(o?.reason === undefined ? {} : { reason: o.reason }) }),
    fetch: (id, o) => ({
      kind: 'fetch',
      id,
      url: o.url,
      ...(o.headers === undefined ? {} : { headers: o.headers }),
      response: o.response,
      ...(o.timeout === undefined ? {} : { timeout: o.timeout }),
      ...(o.onError === undefined ? {} : { onError: o.onError }),
    }),
    fetched: (step, path) => operand(`fetched.${step}.${path}`),

    data: (path) => operand(`data.${path}`),
    ref: (path) => ({ ref: `data.${path}` }),
    user: {
      field: (name) => operand(`user.${name}`),
      trait: (name) => operand(`user.traits.${name}`),
      activeWithin: (duration) => ({ op: 'activeWithin', duration }),
      hasChannel: (channel) => ({ op: 'hasChannel', channel }),
    },
    engaged: (step, kind) => ({ op: 'engaged', step, kind }),
    preference: (cat, channel) => ({ op: 'preference', category: idOf(cat), channel }),
    and: (...all) => ({ op: 'and', all }),
    or: (...any) => ({ op: 'or', any }),
    not: (cond) => ({ op: 'not', cond }),
  };
}

/** `s.fetch(id, options)`: a GET whose JSON answer must fit `response`. */
export interface FetchOptions<Response> {
  /** `https://` (plain http to loopback only in development); `{{field}}` reads the trigger's data. */
  readonly url: string;
  /** A literal, or `env('NAME')`: the variable's name goes in the bundle, its value is read at run time and never logged. */
  readonly headers?: Readonly<Record<string, string | EnvRef>>;
  readonly response: z.ZodType<Response>;
  /** Per attempt. Default `'5s'`. */
  readonly timeout?: Duration;
  /** After the retries: `'fail'` (default) ends the run failed, `'continue'` goes on without the answer. */
  readonly onError?: 'fail' | 'continue';
}

/** An offset from a moment: `'-3d'` is three days before it, `'2h'` (or `'+2h'`) two hours after. */
export type Offset = Duration | `+${Duration}`;

/** `s.delay(id, { until, offset?, ifPast? })`: until a date-time of the run, `s.data('…')` or `s.user.trait('…')`. */
export interface DelayUntil {
  readonly until: { readonly ref: string };
  readonly offset?: Offset;
  /** A moment already past (or missing, or not a date-time): `'run'` goes on at once (default), `'skip'` ends the run. */
  readonly ifPast?: 'run' | 'skip';
}

/**
 * `match` of a keyed wait or cancel: each key a data path of the waited (or cancelling) event, each value a data
 * path of the trigger; the event counts only when every pair holds. An event named by a string has untyped keys.
 */
export type EventMatch<Event, Data> = { readonly [P in unknown extends Event ? string : DataPath<Event>]?: DataPath<Data> };

/** An event that ends a run: a definition or name (any such event of the user), or `{ event, match }` (only the one that agrees). */
export type CancelOn<Data, Event = unknown> =
  | EventDefinition<Event>
  | string
  | { readonly event: EventDefinition<Event> | string; readonly match?: EventMatch<Event, Data> };

/** `Cancels` holds each `cancelOn` entry's event data type, inferred entry by entry so that every `match` is checked against its own event. */
export interface WorkflowOptions<Data, Cancels extends readonly unknown[] = unknown[]> {
  trigger: EventDefinition<Data> | ScheduleDefinition;
  description?: string;
  /** The preference category users opt in or out of; sends honour it. */
  category?: CategoryDefinition | string;
  /**
   * Events that end a run of this workflow for the same user (e.g. `checkout_completed`); with `match`, only
   * the one about the same thing: `{ event: checkoutCompleted, match: { cart_id: 'cart_id' } }`.
   */
  cancelOn?: { [K in keyof Cancels]: CancelOn<Data, Cancels[K]> };
  /** Quiet hours for every send of the workflow (a send's own window wins). */
  window?: SendWindowSpec;
  /**
   * Its trigger event may start it when sent from a browser or app, with a public Segment write key
   * (`SEGMENT_BROWSER_WRITE_KEY`). Such a sender can name any user, so only workflows harmless to start for
   * anyone should say so (a product tour, a "saved for later" reminder). Default false.
   */
  clientTriggerable?: boolean;
  steps: (s: StepBuilder<Data>) => StepSpec[];
}

/**
 * A notification workflow: what happens, step by step, when its trigger fires. Steps have ids unique
 * within the workflow; the builder runs once, at definition, and returns plain data.
 *
 * @example
 * export default workflow('onboarding', {
 *   trigger: trialStarted,
 *   category: onboarding,
 *   steps: (s) => [
 *     s.send('welcome', { template: welcome, channel: 'email' }),
 *     s.waitFor('welcome-opened', { engagement: { step: 'welcome', kind: 'opened' }, timeout: '2h' }),
 *     s.branch('follow-up', [
 *       { when: s.engaged('welcome', 'opened'), then: [s.send('next-steps', { template: nextSteps, channel: 'email' })] },
 *       { otherwise: [s.send('nudge-sms', { template: welcome, channel: 'sms' })] },
 *     ]),
 *   ],
 * });
 *
 * @example
 * // Only a checkout of the abandoned cart ends the chase; checking out another cart does not.
 * export default workflow('cart-recovery', {
 *   trigger: cartAbandoned,
 *   cancelOn: [{ event: checkoutCompleted, match: { cart_id: 'cart_id' } }],
 *   steps: (s) => [s.delay('wait-1h', '1h'), s.send('reminder', { template: cartReminder, channel: 'email' })],
 * });
 */
export function workflow<Data, const Cancels extends readonly unknown[] = []>(id: string, options: WorkflowOptions<Data, Cancels>): WorkflowDefinition {
  return {
    kind: 'workflow',
    id,
    ...(options.description === undefined ? {} : { description: options.description }),
    trigger: options.trigger as WorkflowDefinition['trigger'],
    ...(options.category === undefined ? {} : { category: options.category }),
    cancelOn: (options.cancelOn ?? []) as readonly CancelOnSpec[],
    ...(options.window === undefined ? {} : { window: options.window }),
    ...(options.clientTriggerable === undefined ? {} : { clientTriggerable: options.clientTriggerable }),
    steps: options.steps(stepBuilder<Data>()),
  };
}
