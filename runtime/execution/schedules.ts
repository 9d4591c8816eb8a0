/**
 * Cron triggers and retention clean-up, through pg-boss's scheduler: each slot fires once however many
 * runtime processes share the database (pg-boss elects one to create the slot's job).
 */
import { RECEIPT_LIFETIME_MS } from '../delivery/receipts.ts';
import type { PgBoss } from 'pg-boss';
import type { Bundle } from '../../compiler/bundle/schema.ts';
import type { Database } from '../db/pool.ts';
import { exec } from '../db/sql-client.ts';
import { maintainPartitions } from '../db/partitions.ts';
import { pruneOutbox } from '../outbox/retention.ts';
import * as sql from '../db/sql.ts';
import type { DriverDeps } from './deps.ts';
import { startRuns } from '../intake/runs.ts';
import { fanoutDeps } from '../broadcasts/fanouts.ts';
import { fanOutSlot, scheduleOf } from '../broadcasts/scheduled.ts';
import type { FanoutDeps } from '../recipients/index.ts';

export const SCHEDULE_QUEUE = 'herald-schedule';
export const MAINTENANCE_QUEUE = 'herald-maintenance';
const MAINTENANCE_KEY = 'retention';

/** Makes pg-boss's schedules match the bundle's cron workflows (adds, updates, removes). */
export async function syncSchedules(boss: PgBoss, bundle: Bundle): Promise<void> {
  for (const queue of [SCHEDULE_QUEUE, MAINTENANCE_QUEUE]) if (!(await boss.getQueue(queue))) await boss.createQueue(queue);
  const wanted = Object.values(bundle.workflows).filter((w) => w.trigger.type === 'schedule');
  const existing = await boss.getSchedules(SCHEDULE_QUEUE);
  for (const schedule of existing) {
    if (!wanted.some((w) => w.id === schedule.key)) await boss.unschedule(SCHEDULE_QUEUE, schedule.key);
  }
  for (const workflow of wanted) {
    // A plain cron in UTC, or in its zone; `timezone: 'user'`: the UTC tick that serves every zone (broadcasts/scheduled.ts).
    const spec = scheduleOf(workflow);
    if (spec) await boss.schedule(SCHEDULE_QUEUE, spec.cron, { workflow: workflow.id }, { key: workflow.id, tz: spec.tz });
  }
  // Hourly: the days ahead are made well before they start, and a day past the retention goes within the hour.
  await boss.schedule(MAINTENANCE_QUEUE, '17 * * * *', { retentionMs: bundle.settings.retentionMs }, { key: MAINTENANCE_KEY, tz: 'UTC' });
}

export async function workSchedules(boss: PgBoss, db: Database, deps: DriverDeps, onError: (e: unknown) => void): Promise<void> {
  const fanouts = fanoutDeps(deps);
  await boss.work(SCHEDULE_QUEUE, async (jobs: { id: string; data: { workflow: string } }[]) => {
    for (const job of jobs) await startSlot(db, deps, fanouts, job);
  });
  await boss.work(MAINTENANCE_QUEUE, async (jobs: { data: { retentionMs: number } }[]) => {
    for (const job of jobs) {
      // Each part on its own: a partition that cannot be dropped this hour must not keep the rows below from going.
      const failures: unknown[] = [];
      await maintainPartitions(db, job.data.retentionMs, deps.now()).catch((error: unknown) => failures.push(error));
      await exec(
        db,
        sql.deleteExpired(new Date(deps.now() - job.data.retentionMs), new Date(deps.now() - Math.min(job.data.retentionMs, RECEIPT_LIFETIME_MS))),
      ).catch((error: unknown) => failures.push(error));
      await pruneOutbox(db, job.data.retentionMs, deps.now()).catch((error: unknown) => failures.push(error));
      for (const error of failures) onError(error);
      if (failures.length) throw failures[0];
    }
  });
}

/**
 * One slot of a cron workflow: with recipients, a fan-out to them (the slot's job id is the fan-out's id); without,
 * one run with no user (the job id is the run id). Either way a job retried after its commit starts nothing new.
 */
export async function startSlot(db: Database, deps: DriverDeps, fanouts: FanoutDeps, job: { id: string; data: { workflow: string } }): Promise<void> {
  const bundle = deps.bundles.live;
  const workflow = bundle && Object.hasOwn(bundle.workflows, job.data.workflow) ? bundle.workflows[job.data.workflow] : undefined;
  if (!bundle || !workflow) return; // removed from the bundle since the slot was created
  await db.transaction(async (tx) => {
    if (workflow.trigger.type === 'schedule' && workflow.trigger.recipients) {
      await fanOutSlot(fanouts, tx, { bundle, workflow, slotId: job.id, now: deps.now() });
      return;
    }
    await startRuns(deps, tx, { bundle, workflows: [workflow], runIds: [job.id], userId: null, recipient: null, data: {}, triggerEvent: null });
  });
}
