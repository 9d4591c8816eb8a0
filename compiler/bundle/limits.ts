/**
 * Frequency caps (`settings.limits`) as the engine, the drivers and the PR tools read them: a cap's name for
 * logs and diffs, and which messages it counts.
 */
import { formatDuration } from './duration.ts';
import type { Channel, FrequencyLimit } from './schema.ts';

/** `sms 3/1d`, `promotions 5/1w`: what a skipped message's detail and `herald diff` call the cap. */
export function limitName(limit: FrequencyLimit): string {
  return `${limit.channel ?? limit.category} ${limit.max}/${formatDuration(limit.perMs)}`;
}

/** A message sent on `channel` by a workflow of `category` counts toward a channel cap on that channel, or a category cap on that category. */
export function countsToward(limit: FrequencyLimit, message: { channel: Channel | string; category: string | null }): boolean {
  return limit.channel !== undefined ? limit.channel === message.channel : limit.category === message.category;
}
