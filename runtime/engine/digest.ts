/**
 * What a digest owner needs beyond the drivers' join and collect: when its digest closes (a window after it
 * opened, or the schedule's next occurrence in the recipient's zone), and the summary templates see.
 */
import type { DigestStep } from '../../compiler/bundle/schema.ts';
import { nextScheduleOccurrence } from '../../compiler/bundle/schedule.ts';
import { windowZone } from './send.ts';
import type { DigestSummary, JsonValue, UserSnapshot } from './types.ts';

/** The instant the owner collects, with the zone a schedule was read in. */
export function digestClosesAt(step: DigestStep, user: UserSnapshot, openedAt: number): { at: number; timezone?: string } {
  if ('windowMs' in step) return { at: openedAt + step.windowMs };
  const timezone = windowZone(step.schedule, user);
  // A schedule has at least one day, so it always occurs again; `openedAt` only guards the type.
  return { at: nextScheduleOccurrence(step.schedule, timezone, openedAt) ?? openedAt, timezone };
}

/** Every gathered item counts; the template gets the oldest `maxItems` of them (items arrive oldest first). */
export function digestSummary(step: DigestStep | undefined, items: JsonValue[]): DigestSummary {
  const max = step?.maxItems ?? items.length;
  const kept = items.slice(0, max);
  return { count: items.length, items: kept, omitted: items.length - kept.length };
}
