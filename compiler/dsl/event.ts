import type { z } from 'zod';
import type { EventDefinition } from './definitions.ts';

/**
 * The typed contract of a trigger: a Segment `track` event name and the zod schema of its properties.
 *
 * @example
 * export const trialStarted = event('trial_started', {
 *   schema: z.object({ first_name: z.string(), plan_type: z.enum(['free', 'pro']) }),
 *   examples: [{ first_name: 'Ada', plan_type: 'pro' }],
 * });
 */
export function event<const Name extends string, Schema extends z.ZodType>(
  name: Name,
  options: { schema: Schema; description?: string; examples?: readonly z.infer<Schema>[] },
): EventDefinition<z.output<Schema>, Name, z.input<Schema>> {
  return {
    kind: 'event',
    name,
    schema: options.schema as z.ZodType<z.output<Schema>, z.input<Schema>>,
    ...(options.description === undefined ? {} : { description: options.description }),
    examples: options.examples ?? [],
  };
}

/** A cron trigger (UTC), for workflows that run on a schedule rather than on an event. */
export function schedule(cron: string) {
  return { kind: 'schedule' as const, cron };
}
