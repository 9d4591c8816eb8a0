/**
 * An audience's condition as the bundle carries it: a small JSON tree over a user's profile fields, traits,
 * explicit preference choices, list memberships and activity. Two evaluators give it one meaning: in memory
 * (`audience-match.ts`) and as one SQL query (`runtime/audiences/sql.ts`); a property test holds them equal.
 *
 * Kept apart from `schema.ts` (which imports it) so that the meaning layer and the SQL compiler can read it
 * without the whole bundle; it therefore names the channels itself (checked against the bundle's by type).
 */
import { z } from 'zod';
import type { Channel } from './schema.ts';

const CHANNEL_NAMES = ['email', 'sms', 'push', 'inapp'] as const satisfies readonly Channel[];
const audienceChannel = z.enum(CHANNEL_NAMES);

/** Profile columns an audience may read (`herald.users`). Text fields compare as strings, date fields as instants. */
export const TEXT_FIELDS = ['id', 'email', 'phone_number', 'locale', 'timezone'] as const;
export const DATE_FIELDS = ['created_at', 'last_active_at'] as const;
export type TextField = (typeof TEXT_FIELDS)[number];
export type DateField = (typeof DATE_FIELDS)[number];
export type ProfileField = TextField | DateField;
export const PROFILE_FIELDS: readonly ProfileField[] = [...TEXT_FIELDS, ...DATE_FIELDS];

export const isTextField = (name: string): name is TextField => (TEXT_FIELDS as readonly string[]).includes(name);
export const isDateField = (name: string): name is DateField => (DATE_FIELDS as readonly string[]).includes(name);

export type AudienceScalar = string | number | boolean;
const scalar = z.union([z.string(), z.number(), z.boolean()]);
const ordering = z.enum(['gt', 'gte', 'lt', 'lte']);

/**
 * One comparison. `value`'s shape follows `cmp`: a scalar for eq/ne/contains, a non-empty list for `in`, a
 * prefix for `startsWith`, nothing for `exists`, and for gt/gte/lt/lte a number (traits) or an ISO date-time
 * string (the date fields, compared as instants).
 */
const comparisons = [
  z.object({ cmp: z.enum(['eq', 'ne', 'contains']), value: scalar }),
  z.object({ cmp: z.literal('in'), value: z.array(scalar).min(1) }),
  z.object({ cmp: z.literal('startsWith'), value: z.string() }),
  z.object({ cmp: z.literal('exists') }),
  z.object({ cmp: ordering, value: z.union([z.number(), z.iso.datetime({ offset: true })]) }),
] as const;

export type AudienceComparison =
  | { cmp: 'eq' | 'ne' | 'contains'; value: AudienceScalar }
  | { cmp: 'in'; value: AudienceScalar[] }
  | { cmp: 'startsWith'; value: string }
  | { cmp: 'exists' }
  | { cmp: 'gt' | 'gte' | 'lt' | 'lte'; value: number | string };
export type AudienceCmp = AudienceComparison['cmp'];

export type AudienceCondition =
  | { op: 'and'; all: AudienceCondition[] }
  | { op: 'or'; any: AudienceCondition[] }
  | { op: 'not'; cond: AudienceCondition }
  | ({ op: 'trait'; name: string } & AudienceComparison)
  | ({ op: 'field'; name: ProfileField } & AudienceComparison)
  /** The user's explicit choice for the category (on `channel`, or on any channel when absent) is `allowed`. */
  | { op: 'preference'; category: string; channel?: Channel; allowed: boolean }
  | { op: 'inList'; list: string }
  | { op: 'activeWithin'; durationMs: number };

export const audienceConditionSchema: z.ZodType<AudienceCondition> = z.lazy(() =>
  z.union([
    z.object({ op: z.literal('and'), all: z.array(audienceConditionSchema) }),
    z.object({ op: z.literal('or'), any: z.array(audienceConditionSchema) }),
    z.object({ op: z.literal('not'), cond: audienceConditionSchema }),
    ...comparisons.map((c) => c.extend({ op: z.literal('trait'), name: z.string().min(1) })),
    ...comparisons.map((c) => c.extend({ op: z.literal('field'), name: z.enum([...TEXT_FIELDS, ...DATE_FIELDS]) })),
    z.object({ op: z.literal('preference'), category: z.string().min(1), channel: audienceChannel.optional(), allowed: z.boolean() }),
    z.object({ op: z.literal('inList'), list: z.string().min(1) }),
    z.object({ op: z.literal('activeWithin'), durationMs: z.number().int().nonnegative() }),
  ]),
) as z.ZodType<AudienceCondition>;

export const audienceSchema = z.object({
  condition: audienceConditionSchema,
  description: z.string().optional(),
});
export type Audience = z.infer<typeof audienceSchema>;
