/**
 * The authoring forms that the DSL builders return: plain data, close to the bundle, but still holding
 * what the compiler normalises (duration strings, zod schemas, references to other definitions).
 * The compiler lowers these to the bundle's schema (`compiler/bundle/schema.ts`).
 */
import type { z } from 'zod';
import type { Channel, ChannelContent, EngagementKind, JsonValue } from '../bundle/schema.ts';
import type { Duration } from './duration.ts';

export type { Channel, EngagementKind, JsonValue };

/** An event: its name as a literal type and its schema's input type kept, for typed triggers (herald/client). */
export interface EventDefinition<Data = unknown, Name extends string = string, Input = unknown> {
  readonly kind: 'event';
  readonly name: Name;
  readonly schema: z.ZodType<Data, Input>;
  readonly description?: string;
  readonly examples: readonly Data[];
}

/**
 * An email as written: its body in `html`, or in `mjml` (compiled to html at build time, so the bundle and the
 * runtime see html only), or `text` alone; never both html and mjml. Without `text`, it is generated from the html.
 */
export type AuthoredEmail =
  | { readonly subject: string; readonly html?: string; readonly text?: string; readonly mjml?: never }
  | { readonly subject: string; readonly mjml: string; readonly text?: string; readonly html?: never };
export type TemplateContent = Omit<ChannelContent, 'email'> & { email?: AuthoredEmail };

export interface TemplateDefinition<Data = unknown> {
  readonly kind: 'template';
  readonly id: string;
  readonly event: EventDefinition<Data>;
  readonly content: TemplateContent;
  readonly locales: Readonly<Record<string, Partial<TemplateContent>>>;
  /** The email layout: a layout, `false` for none; absent: the settings' default layout for email. */
  readonly layout?: LayoutDefinition | false;
}

/** An email layout (compiler/dsl/layout.ts): `{{{content}}}` marks where a template's body goes. */
export interface LayoutDefinition {
  readonly kind: 'layout';
  readonly id: string;
  readonly html: string;
  readonly text?: string;
  /** Only templates of this event may use the layout. */
  readonly event?: EventDefinition<unknown>;
}

/** A reusable piece of content, used as `{{> id}}`: `html` in email html, `text` everywhere else. */
export interface PartialDefinition {
  readonly kind: 'partial';
  readonly id: string;
  readonly html?: string;
  readonly text?: string;
}

/** A named brand (compiler/dsl/brand.ts): `settings({ brand })` takes it or plain values. */
export interface BrandDefinition {
  readonly kind: 'brand';
  readonly id: string;
  readonly values: BrandValues;
}

export interface EnvRef {
  readonly kind: 'env';
  readonly name: string;
}

export type ProviderKind = 'sendgrid' | 'twilio' | 'fcm' | 'inapp' | 'sandbox' | 'webhook';

export interface ProviderDefinition {
  readonly kind: 'provider';
  readonly id: string;
  readonly channel: Channel;
  readonly provider: ProviderKind;
  readonly credentials: Readonly<Record<string, EnvRef>>;
  readonly from?: string;
  readonly options: Readonly<Record<string, JsonValue>>;
}

export interface ChannelDefinition {
  readonly kind: 'channel';
  readonly channel: Channel;
  readonly providers: readonly (ProviderDefinition | string)[];
}

export interface CategoryDefinition {
  readonly kind: 'category';
  readonly id: string;
  readonly description: string;
  readonly defaultChannels: readonly Channel[];
  readonly required: boolean;
  /** Marketing messages (offers, newsletters): held to the compliance lint's marketing rules. */
  readonly marketing?: boolean;
}

export interface SettingsDefinition {
  readonly kind: 'settings';
  /** How long runs, messages and waits are kept; no wait or digest may outlive it. Default `'30d'`. */
  readonly retention?: Duration;
  /** Frequency caps across workflows, per user. */
  readonly limits?: readonly FrequencyLimitSpec[];
  /**
   * How long a send waits for the recipient's profile to get an address it lacks (a `track` that overtook its
   * `identify`) before it is skipped. Default `'10s'`; `'0s'` skips at once.
   */
  readonly addressGrace?: Duration;
  /** The schema of users' traits: types `u.trait(…)` in audiences (once registered) and lets the compiler check them. */
  readonly traits?: z.ZodType;
  /** The default brand: its keys are the `{{brand.…}}` keys templates may read and tenants may override. */
  readonly brand?: BrandValues | BrandDefinition;
  /** The default layout per channel; only email takes layouts. */
  readonly layouts?: { readonly email?: LayoutDefinition };
  /** `'strict'`: the compliance lint's findings (compiler/compliance) are errors instead of warnings. */
  readonly compliance?: 'strict';
}

/**
 * Branding values: `name`, `logoUrl`, `colors: { primary, … }`, `postalAddress`, `social: { twitter, … }`, or
 * any other key, each a text or one level of named texts.
 */
export interface BrandValues {
  readonly name?: string;
  readonly logoUrl?: string;
  readonly colors?: Readonly<Record<string, string>>;
  readonly postalAddress?: string;
  readonly social?: Readonly<Record<string, string>>;
  readonly [key: string]: string | Readonly<Record<string, string>> | undefined;
}

/**
 * A frequency cap: at most `max` messages per user in any `per` (a sliding window), on one channel or in the
 * workflows of one category. Sends marked `critical`, or in a `required` category, are never capped.
 */
export type FrequencyLimitSpec =
  | { readonly channel: Channel; readonly category?: never; readonly max: number; readonly per: Duration }
  | { readonly category: CategoryDefinition | string; readonly channel?: never; readonly max: number; readonly per: Duration };

/** `days`: `'daily'`, `'mon-fri'`, `'sat,sun'`, `'mon-wed,fri'`; `hours`: `'09:00-20:00'` (may wrap midnight). */
export interface SendWindowSpec {
  readonly days: string;
  readonly hours: string;
  /** `'user'` (the profile's timezone) or an IANA zone such as `'Europe/Paris'`. */
  readonly timezone: string;
}

export type Cmp = 'eq' | 'neq' | 'gt' | 'gte' | 'lt' | 'lte' | 'in' | 'contains' | 'exists';

export type ConditionSpec =
  | { readonly op: 'and'; readonly all: readonly ConditionSpec[] }
  | { readonly op: 'or'; readonly any: readonly ConditionSpec[] }
  | { readonly op: 'not'; readonly cond: ConditionSpec }
  | { readonly op: 'compare'; readonly left: { readonly ref: string }; readonly cmp: Cmp; readonly right?: JsonValue }
  | { readonly op: 'engaged'; readonly step: string; readonly kind: EngagementKind }
  | { readonly op: 'activeWithin'; readonly duration: Duration }
  | { readonly op: 'hasChannel'; readonly channel: Channel }
  | { readonly op: 'preference'; readonly category: string; readonly channel: Channel };

export interface RoutingSpec {
  readonly method: 'all' | 'single';
  readonly channels: readonly Channel[];
  readonly strategy?: 'ordered' | 'user-preference';
}

export interface SendSpec {
  readonly kind: 'send';
  readonly id: string;
  readonly template: TemplateDefinition<unknown> | string;
  readonly channel?: Channel;
  readonly routing?: RoutingSpec;
  readonly providers?: readonly (ProviderDefinition | string)[];
  readonly window?: SendWindowSpec;
  readonly critical?: boolean;
  readonly readSync?: boolean;
}
/**
 * A delay: a fixed `duration`, or `until` a date-time read from the run (a `data.…` or `user.traits.…` ref),
 * moved by `offset` (`'-3d'`: three days before it); `ifPast` says what a moment already gone does.
 */
export interface DelaySpec {
  readonly kind: 'delay';
  readonly id: string;
  readonly duration?: Duration;
  readonly until?: { readonly ref: string };
  readonly offset?: string;
  readonly ifPast?: 'run' | 'skip';
}
/** A keyed wait or cancel: the waited (or cancelling) event's data path → the trigger's data path. */
export type EventMatchSpec = Readonly<Record<string, string>>;
export interface WaitForSpec {
  readonly kind: 'waitFor';
  readonly id: string;
  readonly engagement?: { readonly step: string; readonly kind: EngagementKind };
  readonly event?: EventDefinition<unknown> | string;
  /** Only an event whose data agrees with the trigger's on every pair counts. */
  readonly match?: EventMatchSpec;
  readonly timeout: Duration;
}
export interface BranchArmSpec {
  readonly when: ConditionSpec;
  readonly then: readonly StepSpec[];
}
export interface BranchOtherwiseSpec {
  readonly otherwise: readonly StepSpec[];
}
export interface BranchSpec {
  readonly kind: 'branch';
  readonly id: string;
  readonly arms: readonly (BranchArmSpec | BranchOtherwiseSpec)[];
}
/** When a scheduled digest goes out: `days` as a send window's (`'weekdays'`, `'mon-fri'`, `'daily'`), `at` `'09:00'`, `timezone` `'user'` or IANA. */
export interface DigestScheduleSpec {
  readonly days: string;
  readonly at: string;
  readonly timezone: string;
}
/** A digest: for a `window` after its first event, or until the next occurrence of its `schedule`. */
export interface DigestSpec {
  readonly kind: 'digest';
  readonly id: string;
  readonly window?: Duration;
  readonly schedule?: DigestScheduleSpec;
  readonly key?: string;
  readonly maxItems?: number;
}
export interface ThrottleSpec {
  readonly kind: 'throttle';
  readonly id: string;
  readonly limit: number;
  readonly window: Duration;
  readonly key?: string;
}
export type ProfileValueSpec = { readonly value: JsonValue } | { readonly ref: string };
export interface UpdateProfileSpec {
  readonly kind: 'updateProfile';
  readonly id: string;
  readonly set: Readonly<Record<string, ProfileValueSpec>>;
}
export interface CancelSpec {
  readonly kind: 'cancel';
  readonly id: string;
  readonly reason?: string;
}

/**
 * A fetch: GET `url` (`{{field}}` of the trigger's data), its JSON answer checked against `response` and kept for later
 * steps as `fetched.<id>`. Header values are literals or `env('NAME')` (read at run time, never in the bundle).
 */
export interface FetchSpec {
  readonly kind: 'fetch';
  readonly id: string;
  readonly url: string;
  readonly headers?: Readonly<Record<string, string | EnvRef>>;
  /** The zod schema of the answer; crosses to the compiler as JSON Schema (load/evaluate-child.ts). */
  readonly response: z.ZodType;
  readonly timeout?: Duration;
  readonly onError?: 'fail' | 'continue';
}

export type StepSpec = SendSpec | DelaySpec | WaitForSpec | BranchSpec | DigestSpec | ThrottleSpec | UpdateProfileSpec | CancelSpec | FetchSpec;

/**
 * Who a recipient-less trigger (a schedule, a broadcast) sends to: every member of an audience (its definition or
 * id) or of a list (lists are data: any id).
 */
export type RecipientsSpec = { readonly audience: { readonly kind: 'audience'; readonly id: string } | string } | { readonly list: string };

export interface ScheduleDefinition {
  readonly kind: 'schedule';
  readonly cron: string;
  /** `'user'`: the cron is read in each recipient's own zone; else an IANA zone. Absent: UTC. */
  readonly timezone?: string;
  /** Each slot starts one run per recipient; absent: one run with no user, as before. */
  readonly recipients?: RecipientsSpec;
}

/** A one-off send to many: `broadcast('spring-launch', { audience, template, category, rate, window })`. */
export interface BroadcastDefinition {
  readonly kind: 'broadcast';
  readonly id: string;
  readonly description?: string;
  readonly recipients: RecipientsSpec;
  readonly category?: CategoryDefinition | string;
  /** `'500/min'`, `'20/s'`, `'1000/h'`: runs started per unit of time; absent: as fast as pages go. */
  readonly rate?: string;
  readonly window?: SendWindowSpec;
  readonly steps: readonly StepSpec[];
}

/** An event that ends a run: a definition or name (any such event of the user), or `{ event, match }`. */
export type CancelOnSpec = EventDefinition<unknown> | string | { readonly event: EventDefinition<unknown> | string; readonly match?: EventMatchSpec };

export interface WorkflowDefinition {
  readonly kind: 'workflow';
  readonly id: string;
  readonly description?: string;
  readonly trigger: EventDefinition<unknown> | ScheduleDefinition;
  readonly category?: CategoryDefinition | string;
  readonly cancelOn: readonly CancelOnSpec[];
  readonly window?: SendWindowSpec;
  readonly clientTriggerable?: boolean;
  readonly steps: readonly StepSpec[];
}

/**
 * An audience's condition as written (compiler/dsl/audience.ts): the bundle's tree (compiler/bundle/audience.ts),
 * except that `activeWithin` still holds its duration string. Values are as the author gave them: lowering checks them.
 */
export type AudienceConditionSpec =
  | { readonly op: 'and'; readonly all: readonly AudienceConditionSpec[] }
  | { readonly op: 'or'; readonly any: readonly AudienceConditionSpec[] }
  | { readonly op: 'not'; readonly cond: AudienceConditionSpec }
  | { readonly op: 'trait' | 'field'; readonly name: string; readonly cmp: string; readonly value?: JsonValue }
  | { readonly op: 'preference'; readonly category: string; readonly channel?: Channel; readonly allowed: boolean }
  | { readonly op: 'inList'; readonly list: string }
  | { readonly op: 'activeWithin'; readonly duration: Duration };

export interface AudienceDefinition {
  readonly kind: 'audience';
  readonly id: string;
  readonly description?: string;
  readonly condition: AudienceConditionSpec;
}

export type Definition =
  | EventDefinition<unknown>
  | AudienceDefinition
  | TemplateDefinition<unknown>
  | WorkflowDefinition
  | BroadcastDefinition
  | ProviderDefinition
  | ChannelDefinition
  | CategoryDefinition
  | SettingsDefinition
  | LayoutDefinition
  | PartialDefinition
  | BrandDefinition;
