import type { z } from 'zod';
import type { EventDefinition, RecipientsSpec, ScheduleDefinition } from './definitions.ts';

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

/** `schedule({ … })`: a cron, the zone it is read in, and who each slot sends to. */
export interface ScheduleOptions {
  cron: string;
  /** `'user'` fires at the cron's local time in each recipient's own zone (needs `recipients`); else an IANA zone. Default UTC. */
  timezone?: string;
  /** An audience (definition or id) or a list id: each slot starts one run per member. */
  recipients?: RecipientsSpec;
}

/**
 * A cron trigger, for workflows that run on a schedule rather than on an event: `schedule('0 9 * * 1')` starts one
 * run with no user (UTC); with `recipients`, each slot starts one run per member.
 *
 * @example
 * schedule('0 3 * * *')
 * @example
 * schedule({ cron: '0 9 * * 1', timezone: 'user', recipients: { audience: euFreePlan } })
 */
export function schedule(cron: string | ScheduleOptions): ScheduleDefinition {
  if (typeof cron === 'string') return { kind: 'schedule', cron };
  return {
    kind: 'schedule',
    cron: cron.cron,
    ...(cron.timezone === undefined ? {} : { timezone: cron.timezone }),
    ...(cron.recipients === undefined ? {} : { recipients: cron.recipients }),
  };
}
