/**
 * `herald`: the language a team writes its notifications in. Every builder takes an id first and returns
 * plain, serialisable data; `herald build` checks it and compiles it into the bundle.
 */
export { z } from 'zod';
export { event, schedule, type ScheduleOptions } from './event.ts';
export { broadcast, type BroadcastOptions, type BroadcastStepBuilder } from './broadcast.ts';
export { template, type TemplateOptions } from './template.ts';
export { layout, partial, type LayoutOptions } from './layout.ts';
export { brand } from './brand.ts';
export { workflow, type StepBuilder, type WorkflowOptions, type SendOptions, type Operand, type DelayUntil, type Offset } from './workflow.ts';
export { provider, channel, category, settings, env } from './provider.ts';
export { audience, not, type AudienceFilter, type AudienceProfile, type OperandFor, type Register } from './audience.ts';
export type { Duration } from './duration.ts';
export type * from './definitions.ts';
