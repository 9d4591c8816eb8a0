/**
 * The bundle: the one contract between the compiler and the runtime.
 *
 * Everything here is plain JSON. Durations are normalised to milliseconds by the compiler, so the runtime
 * never parses a duration string. Credentials appear only as the *names* of environment variables or
 * secrets, never as values.
 */
import { withNullPrototypes } from './null-prototype.ts';
import { audienceSchema } from './audience.ts';
import { z } from 'zod';

export const FORMAT_VERSION = 1 as const;

export const channelSchema = z.enum(['email', 'sms', 'push', 'inapp', 'webhook']);
export type Channel = z.infer<typeof channelSchema>;
export const CHANNELS = channelSchema.options;

/**
 * What a recipient did with a message, weakest first. `seen` and `read` are the in-app inbox's (the list was opened;
 * the item was opened or marked read); a read and an email open are the same rung (runtime/engine/engagements.ts).
 */
export const engagementKindSchema = z.enum(['delivered', 'seen', 'read', 'opened', 'clicked']);
export type EngagementKind = z.infer<typeof engagementKindSchema>;

const id = z.string().regex(/^[a-z0-9][a-z0-9_.:-]*$/i, 'ids use letters, digits, "_", "-", "." and ":"');
const ms = z.number().int().nonnegative();
/** An environment variable's name, as a provider's credential or a fetch header reads it: upper-case letters, digits, `_`. */
export const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;

/** A path into the run's context: `data.plan_type`, `user.traits.company`, `user.email`. */
export const refSchema = z.object({ ref: z.string().min(1) });

export const conditionSchema: z.ZodType<Condition> = z.lazy(() =>
  z.discriminatedUnion('op', [
    z.object({ op: z.literal('and'), all: z.array(conditionSchema) }),
    z.object({ op: z.literal('or'), any: z.array(conditionSchema) }),
    z.object({ op: z.literal('not'), cond: conditionSchema }),
    z.object({
      op: z.literal('compare'),
      left: refSchema,
      cmp: z.enum(['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'in', 'contains', 'exists']),
      right: z.json().optional(),
    }),
    z.object({ op: z.literal('engaged'), step: id, kind: engagementKindSchema }),
    z.object({ op: z.literal('activeWithin'), durationMs: ms }),
    z.object({ op: z.literal('hasChannel'), channel: channelSchema }),
    z.object({ op: z.literal('preference'), category: id, channel: channelSchema }),
  ]),
);
export type JsonValue = z.infer<ReturnType<typeof z.json>>;
export type Condition =
  | { op: 'and'; all: Condition[] }
  | { op: 'or'; any: Condition[] }
  | { op: 'not'; cond: Condition }
  | {
      op: 'compare';
      left: { ref: string };
      cmp: 'eq' | 'neq' | 'gt' | 'gte' | 'lt' | 'lte' | 'in' | 'contains' | 'exists';
      right?: JsonValue | undefined;
    }
  | { op: 'engaged'; step: string; kind: EngagementKind }
  | { op: 'activeWithin'; durationMs: number }
  | { op: 'hasChannel'; channel: Channel }
  | { op: 'preference'; category: string; channel: Channel };

/** A recurring window in which sends may go out; outside it they are deferred to its next opening. */
export const sendWindowSchema = z.object({
  /** ISO weekdays allowed, 1 = Monday … 7 = Sunday. */
  days: z.array(z.number().int().min(1).max(7)).min(1),
  /** Minutes after local midnight: the window is [startMinute, endMinute). End may wrap past midnight. */
  startMinute: z.number().int().min(0).max(1439),
  endMinute: z.number().int().min(1).max(1440),
  /** `user` reads the profile's IANA timezone (UTC when unknown); otherwise an IANA zone name. */
  timezone: z.string().min(1),
});
export type SendWindow = z.infer<typeof sendWindowSchema>;

export const routingSchema = z.object({
  method: z.enum(['single', 'all']),
  channels: z.array(channelSchema).min(1),
  /** `user-preference`: try the channels the user prefers first (single), or only those (all). */
  strategy: z.enum(['ordered', 'user-preference']),
});
export type Routing = z.infer<typeof routingSchema>;

const stepBase = { id };

export const sendStepSchema = z.object({
  ...stepBase,
  kind: z.literal('send'),
  template: id,
  routing: routingSchema,
  /** Provider ids to use instead of the channel's default failover order. */
  providers: z.array(id).optional(),
  window: sendWindowSchema.optional(),
  critical: z.boolean(),
  /**
   * Read sync: once the step's in-app item is read (or its action followed), the step's messages on the other
   * channels are marked read too. Written only when on, so a bundle without it keeps its bytes.
   */
  readSync: z.literal(true).optional(),
});
/**
 * A delay: a fixed time (`durationMs`), or until a moment read from the run (`until`: a date-time in the trigger's
 * data or a trait) shifted by `offsetMs` (negative: before it). A moment already past — or missing, or not a
 * date-time — goes on at once (`ifPast: 'run'`) or ends the run completed (`'skip'`). Two shapes, so a fixed delay
 * keeps its bytes.
 */
export const delayStepSchema = z.union([
  z.object({ ...stepBase, kind: z.literal('delay'), durationMs: ms }),
  z.object({ ...stepBase, kind: z.literal('delay'), until: refSchema, offsetMs: z.number().int(), ifPast: z.enum(['run', 'skip']) }),
]);
/**
 * A keyed wait or cancel: the waited (or cancelling) event's data path → the trigger's data path. The event
 * counts only when every pair holds (the two values deep-equal; a missing value never matches). Absent: any
 * event of that name from the run's user counts, as before keys existed.
 */
export const eventMatchSchema = z.record(z.string().min(1), z.string().min(1));
export type EventMatch = z.infer<typeof eventMatchSchema>;
export const waitForStepSchema = z.object({
  ...stepBase,
  kind: z.literal('waitFor'),
  until: z.discriminatedUnion('type', [
    z.object({ type: z.literal('engagement'), step: id, kind: engagementKindSchema }),
    z.object({ type: z.literal('event'), event: z.string().min(1), match: eventMatchSchema.optional() }),
  ]),
  timeoutMs: ms,
});
/**
 * When a scheduled digest goes out: on the listed ISO days (1 = Monday … 7 = Sunday) at `atMinute` after local
 * midnight, read in `timezone` (`user`: the profile's zone, UTC when unknown; else an IANA name).
 */
export const digestScheduleSchema = z.object({
  days: z.array(z.number().int().min(1).max(7)).min(1),
  atMinute: z.number().int().min(0).max(1439),
  timezone: z.string().min(1),
});
export type DigestSchedule = z.infer<typeof digestScheduleSchema>;
const digestCommon = {
  ...stepBase,
  kind: z.literal('digest'),
  /** Optional data path whose value splits digests (e.g. one digest per `data.thread_id`). */
  key: z.string().optional(),
  /** At most this many items reach the template (the oldest); the rest are counted in `digest.omitted`. */
  maxItems: z.number().int().positive().optional(),
};
/**
 * A digest collects for `windowMs` after its first event, or until the next occurrence of `schedule` after it
 * opened. Two shapes, so a window digest keeps its bytes.
 */
export const digestStepSchema = z.union([z.object({ ...digestCommon, windowMs: ms }), z.object({ ...digestCommon, schedule: digestScheduleSchema })]);
export const throttleStepSchema = z.object({
  ...stepBase,
  kind: z.literal('throttle'),
  limit: z.number().int().positive(),
  windowMs: ms,
  key: z.string().optional(),
});
export const updateProfileStepSchema = z.object({
  ...stepBase,
  kind: z.literal('updateProfile'),
  /** Profile path (`traits.plan`, `locale`) → a literal value or a reference into the run's context. */
  set: z.record(z.string(), z.union([z.object({ value: z.json() }), refSchema])),
});
export const cancelStepSchema = z.object({ ...stepBase, kind: z.literal('cancel'), reason: z.string().optional() });
/**
 * A fetch (runtime/engine/fetch.ts): GET `url` (`{{data}}` variables, each URL-encoded), its JSON answer validated
 * against `response` (JSON Schema) and kept as `fetched.<id>` for later steps. A header is a literal or the name
 * of an environment variable read at run time (never a value). `onError`: what a failure after the retries does.
 */
export const fetchStepSchema = z.object({
  ...stepBase,
  kind: z.literal('fetch'),
  url: z.string().min(1),
  headers: z.record(z.string().min(1), z.union([z.object({ value: z.string() }), z.object({ env: z.string().regex(ENV_NAME) })])).optional(),
  response: z.record(z.string(), z.json()),
  timeoutMs: z.number().int().positive(),
  onError: z.enum(['fail', 'continue']),
});

export type BranchArm = { when: Condition; steps: Step[] };
export type BranchStep = { id: string; kind: 'branch'; arms: BranchArm[]; otherwise: Step[] };
export const branchStepSchema: z.ZodType<BranchStep> = z.lazy(() =>
  z.object({
    ...stepBase,
    kind: z.literal('branch'),
    arms: z.array(z.object({ when: conditionSchema, steps: z.array(stepSchema) })),
    otherwise: z.array(stepSchema),
  }),
);

export const stepSchema: z.ZodType<Step> = z.lazy(() =>
  z.union([
    sendStepSchema,
    delayStepSchema,
    waitForStepSchema,
    digestStepSchema,
    throttleStepSchema,
    updateProfileStepSchema,
    cancelStepSchema,
    fetchStepSchema,
    branchStepSchema,
  ]),
);
export type SendStep = z.infer<typeof sendStepSchema>;
export type DelayStep = z.infer<typeof delayStepSchema>;
export type WaitForStep = z.infer<typeof waitForStepSchema>;
export type DigestStep = z.infer<typeof digestStepSchema>;
export type ThrottleStep = z.infer<typeof throttleStepSchema>;
export type UpdateProfileStep = z.infer<typeof updateProfileStepSchema>;
export type CancelStep = z.infer<typeof cancelStepSchema>;
export type FetchStep = z.infer<typeof fetchStepSchema>;
export type Step = SendStep | DelayStep | WaitForStep | DigestStep | ThrottleStep | UpdateProfileStep | CancelStep | FetchStep | BranchStep;
export type StepKind = Step['kind'];

/** Who a fan-out reaches: every member of an audience (`audiences`) or of a list (lists are data: any id). */
export const recipientsSchema = z.union([z.object({ audience: id }), z.object({ list: z.string().min(1) })]);
export type Recipients = z.infer<typeof recipientsSchema>;

export const triggerSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('event'), event: z.string().min(1) }),
  /**
   * A cron expression, read in UTC; the run has no user and empty data. With `recipients`, each slot starts one
   * run per member instead, and `timezone` (`user`: each recipient's own zone; else IANA) says where the cron's
   * time is read. Both written only when used, so a plain schedule keeps its bytes.
   */
  z.object({ type: z.literal('schedule'), cron: z.string().min(1), timezone: z.string().min(1).optional(), recipients: recipientsSchema.optional() }),
]);

export const workflowSchema = z.object({
  id,
  description: z.string().optional(),
  trigger: triggerSchema,
  category: id.optional(),
  /**
   * Events that end a run: a name (any such event of the run's user), or `{ event, match }` (only one whose data
   * agrees with the trigger's). The compiler writes the plain name when there is no match, so bundles without
   * keys keep their bytes and version.
   */
  cancelOn: z.array(z.union([z.string().min(1), z.object({ event: z.string().min(1), match: eventMatchSchema })])),
  window: sendWindowSchema.optional(),
  /**
   * Its trigger event may start it when sent with a public key (a Segment browser write key). Absent means
   * false: the compiler writes it only when true, so bundles without it keep their bytes and version.
   */
  clientTriggerable: z.boolean().optional(),
  steps: z.array(stepSchema).min(1),
});
export type Workflow = z.infer<typeof workflowSchema>;
export type CancelOn = Workflow['cancelOn'][number];

export const emailContentSchema = z.object({
  subject: z.string(),
  html: z.string().optional(),
  text: z.string().optional(),
});
export const channelContentSchema = z.object({
  email: emailContentSchema.optional(),
  sms: z.object({ body: z.string() }).optional(),
  push: z.object({ title: z.string(), body: z.string(), data: z.record(z.string(), z.string()).optional() }).optional(),
  inapp: z.object({ title: z.string(), body: z.string(), actionUrl: z.string().optional() }).optional(),
  /** The JSON POSTed to the webhook provider's URL; its string values are templates (`{{first_name}}`). */
  webhook: z.object({ body: z.json() }).optional(),
});
export type ChannelContent = z.infer<typeof channelContentSchema>;

/** A layout or partial a template was composed from: its id, and the first 16 hex digits of its source's sha256. */
export const compositionPartSchema = z.object({ id: z.string().min(1), digest: z.string().regex(/^[0-9a-f]{16}$/) });
export type CompositionPart = z.infer<typeof compositionPartSchema>;

export const templateSchema = z.object({
  id,
  /** The event whose data the template renders. */
  event: z.string().min(1),
  content: channelContentSchema,
  /** Locale → per-channel overrides, merged field by field over the default content. */
  locales: z.record(z.string(), channelContentSchema.partial()),
  /**
   * What the compiler composed the (already resolved) content from: the email's layout and every partial, each with
   * a digest of its source, so that `herald diff` can name the layout or partial that changed. The runtime does not
   * read it. Written only when a layout or partial is used, so other templates keep their bytes and version.
   */
  composedFrom: z
    .object({
      layout: compositionPartSchema.optional(),
      partials: z.array(compositionPartSchema).optional(),
    })
    .optional(),
});
export type Template = z.infer<typeof templateSchema>;

export const eventSchema = z.object({
  name: z.string().min(1),
  description: z.string().optional(),
  /** JSON Schema (draft 2020-12) of the event's data, produced from its zod schema. */
  schema: z.record(z.string(), z.json()),
  examples: z.array(z.json()),
});
export type EventDef = z.infer<typeof eventSchema>;

export const providerKindSchema = z.enum(['sendgrid', 'twilio', 'fcm', 'inapp', 'sandbox', 'webhook']);
export const providerSchema = z.object({
  id,
  channel: channelSchema,
  kind: providerKindSchema,
  /** Credential slot → the environment variable (or secret) that holds it. Never a value. */
  credentials: z.record(z.string(), z.object({ env: z.string().regex(ENV_NAME) })),
  from: z.string().optional(),
  options: z.record(z.string(), z.json()),
});
export type Provider = z.infer<typeof providerSchema>;

export const channelRouteSchema = z.object({
  channel: channelSchema,
  /** Failover order: the first healthy provider serves; on failure the next is tried. */
  providers: z.array(id).min(1),
});

export const categorySchema = z.object({
  id,
  description: z.string(),
  defaultChannels: z.array(channelSchema),
  required: z.boolean(),
  /**
   * Its messages sell (offers, promotions, newsletters): the compliance lint holds its SMS to the marketing rules
   * (opt-out wording, a window in the recipient's time zone). Written only when true, so bundles keep their bytes.
   */
  marketing: z.literal(true).optional(),
});
export type Category = z.infer<typeof categorySchema>;

/**
 * A frequency cap across workflows: at most `max` messages handed to a provider for one user in any `perMs`
 * (a sliding window), on one channel or in the workflows of one category. Sends that are `critical`, or in a
 * `required` category, are never capped.
 */
export const frequencyLimitSchema = z
  .object({ channel: channelSchema.optional(), category: id.optional(), max: z.number().int().positive(), perMs: z.number().int().positive() })
  .refine((l) => (l.channel === undefined) !== (l.category === undefined), 'a limit names exactly one of channel or category');
export type FrequencyLimit = z.infer<typeof frequencyLimitSchema>;

/** A brand value: text (`name`, `logoUrl`), or one level of named texts (`colors: { primary }`, `social`). */
export const brandValueSchema = z.union([z.string(), z.record(z.string(), z.string())]);
export const brandSchema = z.record(z.string(), brandValueSchema);
export type Brand = z.infer<typeof brandSchema>;

export const settingsSchema = z.object({
  retentionMs: ms,
  /** Absent when none is set: the compiler writes it only when used, so bundles without caps keep their bytes and version. */
  limits: z.array(frequencyLimitSchema).optional(),
  /**
   * How long a send with nothing to send, for want of an address only, waits for the profile to get one (an
   * identify that a track overtook) before it is skipped. Absent: the engine's default (10 s); 0: no wait.
   * Written only when set, so older bundles keep their bytes and version.
   */
  addressGrace: ms.optional(),
  /**
   * The default brand's values (`{{brand.name}}`, `{{brand.colors.primary}}`): its keys are the branding keys
   * templates may read and tenants may override (runtime/tenants). Written only when set.
   */
  brand: brandSchema.optional(),
});

/** At most `max` recipients started in any `perMs`. */
export const fanoutRateSchema = z.object({ max: z.number().int().positive(), perMs: z.number().int().positive() });
export type FanoutRate = z.infer<typeof fanoutRateSchema>;

/**
 * A broadcast: one send (or steps) to every member of an audience or list, started on demand. Its runs are
 * ordinary runs of the workflow `broadcastWorkflow()` makes of it (compiler/bundle/broadcasts.ts).
 */
export const broadcastSchema = z.object({
  id,
  description: z.string().optional(),
  recipients: recipientsSchema,
  category: id.optional(),
  rate: fanoutRateSchema.optional(),
  window: sendWindowSchema.optional(),
  steps: z.array(stepSchema).min(1),
});
export type Broadcast = z.infer<typeof broadcastSchema>;

export const bundleSchema = z.object({
  formatVersion: z.literal(FORMAT_VERSION),
  /** `sha256:<hex>` of the canonical JSON of every other field. */
  version: z.string().regex(/^sha256:[0-9a-f]{64}$/),
  settings: settingsSchema,
  events: z.record(z.string(), eventSchema),
  templates: z.record(z.string(), templateSchema),
  workflows: z.record(z.string(), workflowSchema),
  providers: z.record(z.string(), providerSchema),
  channels: z.record(z.string(), channelRouteSchema),
  categories: z.record(z.string(), categorySchema),
  /** Audiences by id (compiler/bundle/audience.ts). Written only when one is defined, so bundles without keep their bytes and version. */
  audiences: z.record(z.string(), audienceSchema).optional(),
  /** Written only when a broadcast is defined, so bundles without any keep their bytes and version. */
  broadcasts: z.record(z.string(), broadcastSchema).optional(),
});
export type Bundle = z.infer<typeof bundleSchema>;
export type BundleContent = Omit<Bundle, 'version'>;
export type { Audience, AudienceCondition } from './audience.ts';

/** Parses a bundle from untrusted JSON; throws a `z.ZodError` naming the failing paths. */
/**
 * Validates a bundle. Its maps (events, workflows, categories, …) come back with null prototypes: the runtime
 * looks them up by names from requests, and `workflows['constructor']` must be nothing, not a function.
 */
export function parseBundle(input: unknown): Bundle {
  return withNullPrototypes(bundleSchema.parse(input));
}
