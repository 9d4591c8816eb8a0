/**
 * Scheduled workflows with recipients: each slot of the cron fans out (runtime/recipients) to the members of an
 * audience or list, one run each. With `timezone: 'user'` the cron is read on each recipient's own clock: a UTC
 * tick comes at every minute where some zone's local minute can be one the cron names (userZoneTickCron), and
 * fans out to the members whose zone's local time the cron names at that moment (users without a zone: UTC).
 */
import { cronMatchesAt, parseCron, userZoneTickCron } from '../../compiler/bundle/cron.ts';
import type { Bundle, Workflow } from '../../compiler/bundle/schema.ts';
import type { SqlClient } from '../db/sql-client.ts';
import { createFanout, fanoutProgress, type FanoutDeps } from '../recipients/index.ts';

/** What pg-boss schedules for a cron workflow: its cron and zone, or the per-zone tick's (UTC). */
export function scheduleOf(workflow: Workflow): { cron: string; tz: string } | null {
  const trigger = workflow.trigger;
  if (trigger.type !== 'schedule') return null;
  if (trigger.timezone === 'user') return { cron: userZoneTickCron(parseCron(trigger.cron)), tz: 'UTC' };
  return { cron: trigger.cron, tz: trigger.timezone ?? 'UTC' };
}

/** Does the cron name the local minute of `now` in `zone`? (What a tick decides for each recipient.) */
export function dueIn(cronText: string, now: number, zone: string): boolean {
  return cronMatchesAt(parseCron(cronText), Math.floor(now / 60_000) * 60_000, zone);
}

/**
 * The slot's fan-out, made in `tx` with the slot's job id as its id (a job retried after its commit finds it
 * and makes nothing); null for a workflow without recipients (the caller starts its one run). A tick at which
 * no member is due makes an empty fan-out, done at its first page.
 */
export async function fanOutSlot(
  fanouts: FanoutDeps,
  tx: SqlClient,
  q: { bundle: Bundle; workflow: Workflow; slotId: string; now: number },
): Promise<{ id: string; planned: number } | null> {
  const trigger = q.workflow.trigger;
  if (trigger.type !== 'schedule' || !trigger.recipients) return null;
  if (await fanoutProgress(tx, q.slotId)) return null;
  // The minute the tick is for: a job picked up a few seconds late still serves its own minute.
  const zones = trigger.timezone === 'user' ? { cron: trigger.cron, at: Math.floor(q.now / 60_000) * 60_000 } : null;
  // Most ticks of a cron such as '0 9 * * 1' find no zone on Earth at its time: those read no member. (Every zone
  // a profile may name has the offsets of some zone Intl lists, so this misses none.)
  if (zones && !anyZoneDue(zones.cron, zones.at)) return null;
  return createFanout(fanouts, tx, {
    id: q.slotId,
    kind: 'schedule',
    source: { ...trigger.recipients, ...(zones ? { zones } : {}) },
    bundle: q.bundle,
    workflow: q.workflow,
  });
}

const EARTH_ZONES = [...Intl.supportedValuesOf('timeZone'), 'UTC'];

function anyZoneDue(cronText: string, at: number): boolean {
  const cron = parseCron(cronText);
  return EARTH_ZONES.some((zone) => cronMatchesAt(cron, at, zone));
}
