/**
 * Definitions as they cross from the evaluation child to the compiler: plain JSON, with references to other
 * definitions replaced by their ids and zod schemas by JSON Schema.
 */
import type { JsonValue } from '../bundle/schema.ts';
import type {
  AudienceDefinition,
  BrandDefinition,
  BrandValues,
  BroadcastDefinition,
  CategoryDefinition,
  ChannelDefinition,
  LayoutDefinition,
  PartialDefinition,
  ProviderDefinition,
  SettingsDefinition,
  StepSpec,
  TemplateDefinition,
  WorkflowDefinition,
} from '../dsl/definitions.ts';

type Refs<T> = T extends { kind: 'event' } ? string : T extends { kind: 'template' } ? string : T;

export interface SerialEvent {
  kind: 'event';
  name: string;
  description?: string;
  /** JSON Schema, or the reason it could not be produced. */
  schema: { ok: true; jsonSchema: Record<string, JsonValue> } | { ok: false; error: string };
  examples: JsonValue[];
}
/** The layout by its id (or `false`: none). */
export type SerialTemplate = Omit<TemplateDefinition, 'event' | 'layout'> & { event: string; layout?: string | false };
/** The event by its name. */
export type SerialLayout = Omit<LayoutDefinition, 'event'> & { event?: string };
export type SerialWorkflow = Omit<WorkflowDefinition, 'trigger' | 'category' | 'cancelOn' | 'steps'> & {
  trigger: { type: 'event'; event: string } | { type: 'schedule'; cron: string; timezone?: string; recipients?: SerialRecipients };
  category?: string;
  /** An event name, or `{ event, match }` as written (the match checked and dropped when empty by lowering). */
  cancelOn: (string | { event: string; match?: Record<string, string> })[];
  steps: StepSpec[];
};
/** An audience by its id, or a list id, as written (lowering checks them). */
export type SerialRecipients = { audience: string } | { list: string };
export type SerialBroadcast = Omit<BroadcastDefinition, 'recipients' | 'category' | 'steps'> & {
  recipients: SerialRecipients;
  category?: string;
  steps: StepSpec[];
};
export type SerialChannel = Omit<ChannelDefinition, 'providers'> & { providers: string[] };
/** A limit's category is its id; the fields are as written (lowering checks them: the author's code may not type-check). */
export type SerialLimit = { channel?: string; category?: string; max: number; per: string };
/** JSON Schema, or the reason it could not be produced. */
export type SerialSchema = { ok: true; jsonSchema: Record<string, JsonValue> } | { ok: false; error: string };
/** A `brand()` becomes its values; each layout its id. */
export type SerialSettings = Omit<SettingsDefinition, 'limits' | 'traits' | 'brand' | 'layouts'> & {
  limits?: SerialLimit[];
  traits?: SerialSchema;
  brand?: BrandValues;
  layouts?: Record<string, string>;
};

export type SerialDefinition =
  | SerialEvent
  | SerialTemplate
  | SerialWorkflow
  | SerialBroadcast
  | AudienceDefinition
  | ProviderDefinition
  | SerialChannel
  | CategoryDefinition
  | SerialSettings
  | SerialLayout
  | PartialDefinition
  | BrandDefinition;

export type { Refs };

export interface EvaluatedDefinition {
  /** Relative path of the file whose export first exposed the definition. */
  file: string;
  exportName: string;
  definition: SerialDefinition;
}

export interface EvaluationError {
  file: string;
  message: string;
  line?: number;
  column?: number;
}

export interface EvaluationResult {
  definitions: EvaluatedDefinition[];
  errors: EvaluationError[];
}
