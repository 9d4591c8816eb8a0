/**
 * Segment's Tracking API payloads (the Segment Spec: identify, track, page, screen, group, alias, and the
 * batch that carries them), as zod schemas. Objects are loose: Segment sends many fields Herald does not use
 * (`integrations`, `_metadata`, `receivedAt`…), and a sender must never be refused for fields it may send.
 *
 * What Segment requires is required here too (an event name for track, a groupId for group, userId and
 * previousId for alias, and userId or anonymousId everywhere else); what only the device reports (the
 * `context` fields) is taken when usable and ignored otherwise.
 */
import { z } from 'zod';
import { MAX_EVENT_NAME_LENGTH } from './limits.ts';

export const CALL_TYPES = ['identify', 'track', 'page', 'screen', 'group', 'alias'] as const;
export type CallType = (typeof CALL_TYPES)[number];

/** Segment's ids are strings; some libraries let numbers through, which Segment stringifies. "" means absent. */
const identity = z
  .union([z.string(), z.number()])
  .nullish()
  .transform((v) => (v === null || v === undefined || v === '' ? undefined : String(v)));

const jsonObject = z.record(z.string(), z.json());
/** `properties` / `traits`: an object; null or absent is an empty one. */
const data = jsonObject.nullish().transform((v) => v ?? {});

/** A time as Segment sends it (ISO 8601); anything unreadable is ignored rather than refused. */
const time = z
  .string()
  .nullish()
  .catch(undefined)
  .transform((v) => {
    const ms = v ? Date.parse(v) : NaN;
    return Number.isNaN(ms) ? undefined : ms;
  });

/** Device facts Herald keeps from `context`; a field of the wrong shape is dropped, never a reason to refuse. */
export const contextSchema = z
  .looseObject({
    timezone: z.string().optional().catch(undefined),
    locale: z.string().optional().catch(undefined),
    device: z
      .looseObject({ token: z.string().min(1).optional().catch(undefined) })
      .optional()
      .catch(undefined),
  })
  .optional()
  .catch(undefined);
export type SegmentContext = NonNullable<z.infer<typeof contextSchema>>;

const common = {
  userId: identity,
  anonymousId: identity,
  /** The sender's id for the call; Segment dedupes on it, and so does Herald for track (see runtime/segment/apply.ts). */
  messageId: z
    .string()
    .max(500)
    .nullish()
    .catch(undefined)
    .transform((v) => v || undefined),
  timestamp: time,
  originalTimestamp: time,
  sentAt: time,
  context: contextSchema,
};

const trackSchema = z.looseObject({
  ...common,
  type: z.literal('track'),
  event: z
    .string({ error: 'a track call needs an "event" name' })
    .trim()
    .min(1, 'a track call needs an "event" name')
    .max(MAX_EVENT_NAME_LENGTH, {
      error: (issue) =>
        `the event name is ${typeof issue.input === 'string' ? issue.input.length : 'over'} characters; Herald takes at most ${MAX_EVENT_NAME_LENGTH}: name the event for people (e.g. "Order Completed") and send details as properties`,
    }),
  properties: data,
});
const identifySchema = z.looseObject({ ...common, type: z.literal('identify'), traits: data });
const pageSchema = z.looseObject({ ...common, type: z.literal('page'), name: z.string().nullish(), properties: data });
const screenSchema = z.looseObject({ ...common, type: z.literal('screen'), name: z.string().nullish(), properties: data });
const groupSchema = z.looseObject({
  ...common,
  type: z.literal('group'),
  groupId: identity.pipe(z.string({ error: 'a group call needs a "groupId"' })),
  traits: data,
});
const aliasSchema = z.looseObject({
  ...common,
  type: z.literal('alias'),
  userId: identity.pipe(z.string({ error: 'an alias call needs the new "userId"' })),
  previousId: identity.pipe(z.string({ error: 'an alias call needs the "previousId" to merge' })),
});

export const segmentEventSchema = z
  .discriminatedUnion('type', [trackSchema, identifySchema, pageSchema, screenSchema, groupSchema, aliasSchema], {
    error: `"type" must be one of ${CALL_TYPES.join(', ')}`,
  })
  .superRefine((event, ctx) => {
    if (event.type !== 'alias' && event.userId === undefined && event.anonymousId === undefined) {
      ctx.addIssue({ code: 'custom', path: ['userId'], message: 'every call needs a userId or an anonymousId' });
    }
  });

export type SegmentEvent = z.infer<typeof segmentEventSchema>;
export type TrackEvent = Extract<SegmentEvent, { type: 'track' }>;
export type IdentifyEvent = Extract<SegmentEvent, { type: 'identify' }>;
export type GroupEvent = Extract<SegmentEvent, { type: 'group' }>;
export type AliasEvent = Extract<SegmentEvent, { type: 'alias' }>;

/** `POST /v1/batch`: the calls, and what applies to all of them (context, sentAt, the write key). */
export const batchSchema = z.looseObject({
  batch: z.array(z.unknown(), { error: '"batch" must be an array of calls' }),
  context: jsonObject.optional().catch(undefined),
  sentAt: z.unknown().optional(),
  writeKey: z.unknown().optional(),
});

/** The first issue of a zod error, as one line: `properties.plan_type: Invalid option…`. */
export function describeIssues(error: z.ZodError): string {
  const first = error.issues[0];
  if (!first) return 'invalid call';
  const path = first.path.join('.');
  return path ? `${path}: ${first.message}` : first.message;
}
