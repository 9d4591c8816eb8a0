/**
 * The parts of Courier's API requests Herald understands, as Courier's own clients send them. Unknown fields
 * are accepted and ignored (a client may send more than Herald supports: see runtime/courier/README.md).
 */
import { z } from 'zod';

const data = z.record(z.string(), z.json());

/** A recipient: a user (by id, and/or inline contact fields); lists are `listRecipientSchema` below. Audiences and chat apps are not supported. */
export const userRecipientSchema = z
  .object({
    user_id: z.string().min(1).nullish(),
    email: z.string().min(3).nullish(),
    phone_number: z.string().min(3).nullish(),
    locale: z.string().nullish(),
    data: data.nullish(),
  })
  .loose()
  .refine((r) => r.user_id || r.email || r.phone_number, { message: 'a recipient needs user_id, email or phone_number' });
export type UserRecipient = z.infer<typeof userRecipientSchema>;

/** Every member of a list (`list_id`), or of every list a pattern matches (`list_pattern`): a fan-out (runtime/recipients/). */
export const listRecipientSchema = z
  .object({ list_id: z.string().min(1), data: data.nullish(), filters: z.array(z.unknown()).nullish() })
  .loose()
  .refine((r) => !r.filters?.length, { message: 'list filters are not supported yet: send to a list without filters', path: ['filters'] });
export const listPatternRecipientSchema = z.object({ list_pattern: z.string().min(1), data: data.nullish() }).loose();
export type ListRecipient = z.infer<typeof listRecipientSchema> | z.infer<typeof listPatternRecipientSchema>;

/** Courier's "elemental" content: the sugar `{ title, body }`, or a document whose text and meta elements are read. */
const elementSchema = z.object({ type: z.string().optional(), content: z.string().optional(), title: z.string().optional() }).loose();
export const contentSugarSchema = z.object({ title: z.string(), body: z.string() }).loose();
export const contentDocumentSchema = z.object({ version: z.string().optional(), elements: z.array(elementSchema) }).loose();
export const contentSchema = z.union([contentSugarSchema, contentDocumentSchema]);
export type CourierContent = z.infer<typeof contentSchema>;

/** Channels (or provider ids) in order; nested routing objects are flattened in order. */
export type RoutingChannel = string | { method: 'all' | 'single'; channels: RoutingChannel[] };
const routingChannelSchema: z.ZodType<RoutingChannel> = z.lazy(() =>
  z.union([z.string().min(1), z.object({ method: z.enum(['all', 'single']), channels: z.array(routingChannelSchema) })]),
);
export const routingSchema = z.object({ method: z.enum(['all', 'single']), channels: z.array(routingChannelSchema).min(1) });

/** `{ email: 'sendgrid' }` (channel → provider id), or Courier's `{ sendgrid: { override, … } }` (provider id → options). */
export const providersSchema = z.record(z.string(), z.union([z.string().min(1), z.object({}).loose()]));

export const sendMessageSchema = z
  .object({
    to: z.union([listRecipientSchema, listPatternRecipientSchema, userRecipientSchema, z.array(userRecipientSchema).min(1)]),
    template: z.string().min(1).nullish(),
    content: contentSchema.nullish(),
    data: data.nullish(),
    routing: routingSchema.nullish(),
    providers: providersSchema.nullish(),
    channels: z.record(z.string(), z.object({}).loose()).nullish(),
    delay: z.object({ duration: z.number().int().nonnegative().nullish(), until: z.string().nullish() }).loose().nullish(),
    timeout: z.object({}).loose().nullish(),
    metadata: z
      .object({ event: z.string().nullish(), tags: z.array(z.string()).nullish(), trace_id: z.string().nullish() })
      .loose()
      .nullish(),
    preferences: z
      .object({ subscription_topic_id: z.string().min(1) })
      .loose()
      .nullish(),
    /** `tenant_id`: the tenant the message is sent for (runtime/tenants): its brand, defaults and inbox. */
    context: z.object({ tenant_id: z.string().nullish() }).loose().nullish(),
  })
  .loose()
  .refine((m) => (m.template ? 1 : 0) + (m.content ? 1 : 0) === 1, { message: 'give exactly one of template or content', path: ['template'] });
export const sendBodySchema = z.object({ message: sendMessageSchema });
export type SendMessage = z.infer<typeof sendMessageSchema>;

export const profileBodySchema = z.object({ profile: z.record(z.string(), z.json()) });

export const preferenceStatusSchema = z.enum(['OPTED_IN', 'OPTED_OUT', 'REQUIRED']);
export const topicBodySchema = z.object({
  topic: z.object({
    status: preferenceStatusSchema,
    has_custom_routing: z.boolean().nullish(),
    custom_routing: z.array(z.string()).nullish(),
  }),
});
/** `PUT /users/:id/preferences`: several topics at once. */
export const preferencesBodySchema = z.object({
  topics: z.record(z.string(), topicBodySchema.shape.topic),
});

export const invokeBodySchema = z
  .object({
    recipient: z.string().min(1).nullish(),
    data: data.nullish(),
    profile: z.record(z.string(), z.json()).nullish(),
    template: z.string().nullish(),
    automation: z.object({}).loose().nullish(),
  })
  .loose();
