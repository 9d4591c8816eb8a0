/**
 * Definitions as they cross from the evaluation child to the compiler: plain JSON, with references to other
 * definitions replaced by their ids and zod schemas by JSON Schema.
 */
import type { JsonValue } from '../bundle/schema.ts';
import type {
  CategoryDefinition,
  ChannelDefinition,
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
export type SerialTemplate = Omit<TemplateDefinition, 'event'> & { event: string };
export type SerialWorkflow = Omit<WorkflowDefinition, 'trigger' | 'category' | 'cancelOn' | 'steps'> & {
  trigger: { type: 'event'; event: string } | { type: 'schedule'; cron: string };
  category?: string;
  cancelOn: string[];
  steps: StepSpec[];
};
export type SerialChannel = Omit<ChannelDefinition, 'providers'> & { providers: string[] };

export type SerialDefinition = SerialEvent | SerialTemplate | SerialWorkflow | ProviderDefinition | SerialChannel | CategoryDefinition | SettingsDefinition;

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
