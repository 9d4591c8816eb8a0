/**
 * Fault case: a wait longer than 14 days (pg-boss's default retention) still fires.
 *
 * Twenty days cannot be waited out, so time is shifted in the database instead. Two runs of `fault-long-wait`
 * (`delay('20d')`, then an email) park on their deferred timer jobs; the runtime is stopped (so nothing
 * fetches a job before the retention sweep has had its chance), and every timestamp of those jobs and runs
 * is moved back: by 21 days (the wait has elapsed; due a day ago) and by 35 days (due 15 days ago, as after
 * a two-week outage). pg-boss's retention sweep then runs on every queue, and the runtime is started again:
 * both timers must have survived the sweep and both emails must go out.
 *
 * Why a shift of 21 days alone would not tell Herald's retention from pg-boss's default: pg-boss 12 sets a
 * job's `keep_until` to `start_after + retention` (plans.js, insertJobs), and the sweep deletes a queued job
 * only once `keep_until` has passed (plans.js, deletion). A deferred job's retention therefore starts when it
 * falls due, not when it is created: a 20-day timer in a 14-day queue survives a 21-day shift too. What the
 * default retention would lose is a timer left unfetched more than 14 days past its due time — the 35-day
 * shift. The control makes both points on a queue with pg-boss's defaults, in the same sweep: its copy of the
 * 21-day timer survives, its copy of the 35-day one is deleted (which also proves the sweep ran and deletes).
 */
import { PgBoss } from 'pg-boss';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RUN_QUEUE } from '../../runtime/execution/queue.ts';
import { spawnRuntime } from '../setup/runtime-process.ts';
import { reportFigure } from './report.ts';
import { FAULT_API_KEY, outputTail, send, startFaultRuntime, until, type FaultRuntime } from './support.ts';

const DAY_MS = 86_400_000;
const WAIT_DAYS = 20;
const DEFAULT_RETENTION_DAYS = 14;
/** The wait has just elapsed (due a day ago); and a timer left 15 days past due, beyond the default retention. */
const SHIFTS = { elapsed: 21, overdue: 35 } as const;
type Shift = keyof typeof SHIFTS;
const CONTROL_QUEUE = 'fault-default-retention';

let fault: FaultRuntime;
let boss: PgBoss | null = null;
let restarted: Awaited<ReturnType<typeof spawnRuntime>> | null = null;

beforeAll(async () => {
  fault = await startFaultRuntime('fault_long_wait');
});

afterAll(async () => {
  await boss?.stop({ graceful: false, timeout: 2_000 });
  await restarted?.stop();
  await fault?.close();
});

interface TimerJob {
  id: string;
  state: string;
  start_after: Date;
  keep_until: Date;
}

/** A user with an email address, and the run `fault_later` starts for them. */
async function trigger(userId: string): Promise<string> {
  const headers = { authorization: `Bearer ${FAULT_API_KEY}`, 'content-type': 'application/json' };
  const profile = await send(`${fault.runtime.url}/v1/users/${userId}`, { method: 'PUT', headers, body: JSON.stringify({ email: `${userId}@example.com` }) });
  expect(profile.status, profile.text).toBe(200);
  const reply = await send(`${fault.runtime.url}/v1/events`, {
    headers,
    body: JSON.stringify({ event: 'fault_later', userId, properties: { first_name: userId } }),
  });
  expect(reply.status, reply.text).toBe(202);
  return (reply.json as { runs: string[] }).runs[0]!;
}

/** The run's deferred timer job, once its start has been processed and the delay scheduled. */
async function timerOf(runId: string): Promise<TimerJob | null> {
  const { rows } = await fault.db.query<TimerJob>(
    `SELECT id, state::text, start_after, keep_until FROM pgboss.job
     WHERE name = $1 AND data->>'runId' = $2 AND data->'fact'->>'type' = 'timer'`,
    [RUN_QUEUE, runId],
  );
  return rows[0] ?? null;
}

/** Every timestamp of a job moved back by `days`, as if it had been created that much earlier. */
async function shiftJob(id: string, days: number): Promise<void> {
  await fault.db.query(
    `UPDATE pgboss.job SET created_on = created_on - $2 * interval '1 day', start_after = start_after - $2 * interval '1 day',
       keep_until = keep_until - $2 * interval '1 day'
     WHERE id = $1`,
    [id, days],
  );
}

async function shiftRun(runId: string, days: number): Promise<void> {
  await fault.db.query(
    `UPDATE herald.runs SET created_at = created_at - $2 * interval '1 day', updated_at = updated_at - $2 * interval '1 day' WHERE id = $1`,
    [runId, days],
  );
  await fault.db.query(`UPDATE herald.events SET received_at = received_at - $2 * interval '1 day' WHERE run_ids ? $1::text`, [runId, days]);
}

async function jobExists(id: string): Promise<boolean> {
  const { rows } = await fault.db.query('SELECT 1 FROM pgboss.job WHERE id = $1', [id]);
  return rows.length === 1;
}

/** One retention sweep of every queue, now: the per-queue claim (maintain_on) cleared so the pass takes them all. */
async function sweep(): Promise<void> {
  await fault.db.query('UPDATE pgboss.queue SET maintain_on = NULL');
  await boss!.supervise();
  const { rows } = await fault.db.query<{ name: string }>('SELECT name FROM pgboss.queue WHERE maintain_on IS NULL');
  expect(
    rows.map((r) => r.name),
    'queues the sweep did not claim',
  ).toEqual([]);
}

it('a 20-day delay survives pg-boss retention after a 21- and a 35-day shift, and fires', async () => {
  const context = () => outputTail(restarted ?? fault.runtime);
  const runs: Record<Shift, string> = { elapsed: await trigger('wait-elapsed'), overdue: await trigger('wait-overdue') };
  const timers = {} as Record<Shift, TimerJob>;
  for (const shift of Object.keys(SHIFTS) as Shift[])
    timers[shift] = await until(`the 20-day timer of run ${runs[shift]}`, () => timerOf(runs[shift]), 20_000, context);

  // Herald's queue keeps jobs for the bundle's retention (30 d) plus a day, and each timer is due in 20 days.
  const { rows: queues } = await fault.db.query<{ retention_seconds: number }>('SELECT retention_seconds FROM pgboss.queue WHERE name = $1', [RUN_QUEUE]);
  const retentionDays = queues[0]!.retention_seconds / 86_400;
  expect(retentionDays, 'the run queue retention, in days').toBeGreaterThanOrEqual(WAIT_DAYS);
  for (const timer of Object.values(timers)) {
    expect(timer.state).toBe('created');
    expect(Math.abs(timer.start_after.getTime() - Date.now() - WAIT_DAYS * DAY_MS), 'timer due in 20 days').toBeLessThan(60_000);
    expect(timer.keep_until.getTime() - timer.start_after.getTime()).toBe(queues[0]!.retention_seconds * 1000);
  }

  // The control: a queue with pg-boss's defaults, holding the same 20-day timers.
  boss = new PgBoss({ connectionString: fault.databaseUrl, schema: 'pgboss', supervise: false, schedule: false, migrate: false, max: 2 });
  boss.on('error', () => {});
  await boss.start();
  await boss.createQueue(CONTROL_QUEUE);
  const startAfter = new Date(Date.now() + WAIT_DAYS * DAY_MS);
  const [controlElapsed, controlOverdue] = (await boss.insert(
    CONTROL_QUEUE,
    [
      { data: { shift: 'elapsed' }, startAfter },
      { data: { shift: 'overdue' }, startAfter },
    ],
    { returnId: true },
  ))!;
  const control: Record<Shift, string> = { elapsed: controlElapsed!, overdue: controlOverdue! };
  const { rows: controlQueue } = await fault.db.query<{ retention_seconds: number }>('SELECT retention_seconds FROM pgboss.queue WHERE name = $1', [
    CONTROL_QUEUE,
  ]);
  expect(controlQueue[0]!.retention_seconds / 86_400).toBe(DEFAULT_RETENTION_DAYS);

  // Down for the wait: nothing may fetch a timer before the sweep has had its chance to delete it.
  await fault.runtime.stop();
  for (const shift of Object.keys(SHIFTS) as Shift[]) {
    await shiftJob(timers[shift].id, SHIFTS[shift]);
    await shiftRun(runs[shift], SHIFTS[shift]);
    await shiftJob(control[shift], SHIFTS[shift]);
  }
  await sweep();
  const survived = {
    herald: { elapsed: await jobExists(timers.elapsed.id), overdue: await jobExists(timers.overdue.id) },
    control: { elapsed: await jobExists(control.elapsed), overdue: await jobExists(control.overdue) },
  };
  expect(survived, "after the sweep: Herald's timers kept; the default queue kept the timer 1 day past due, deleted the one 15 days past due").toEqual({
    herald: { elapsed: true, overdue: true },
    control: { elapsed: true, overdue: false },
  });

  // Back up: both timers are overdue, so the first poll fires them and the emails go out.
  const restartAt = Date.now();
  restarted = await spawnRuntime({
    bundlePath: fault.bundlePath,
    databaseUrl: fault.databaseUrl,
    apiKey: FAULT_API_KEY,
    env: { HERALD_LOG_LEVEL: 'warn' },
    startTimeoutMs: 60_000,
  });
  const startupMs = Date.now() - restartAt;
  const fired = {} as Record<Shift, { status: string; created_at: Date }>;
  for (const shift of Object.keys(SHIFTS) as Shift[]) {
    fired[shift] = await until(
      `the email after the 20-day delay of run ${runs[shift]} (${shift})`,
      async () =>
        (
          await fault.db.query<{ status: string; created_at: Date }>(`SELECT status, created_at FROM herald.messages WHERE run_id = $1 AND step_id = 'after'`, [
            runs[shift],
          ])
        ).rows[0],
      30_000,
      context,
    );
    expect(fired[shift].status, context()).toBe('sent');
  }
  const { rows: finished } = await fault.db.query<{ status: string }>('SELECT status FROM herald.runs WHERE id = ANY($1::uuid[])', [Object.values(runs)]);
  expect(finished.map((r) => r.status)).toEqual(['completed', 'completed']);

  reportFigure('long-wait', {
    waitDays: WAIT_DAYS,
    queueRetentionDays: retentionDays,
    defaultRetentionDays: DEFAULT_RETENTION_DAYS,
    shiftsDays: SHIFTS,
    survivedSweep: survived,
    fired: { elapsed: fired.elapsed.status === 'sent', overdue: fired.overdue.status === 'sent' },
    // From the restart command to the send: the process's start-up (its banner after startupMs) and the first poll.
    latenessAfterRestartMs: { elapsed: fired.elapsed.created_at.getTime() - restartAt, overdue: fired.overdue.created_at.getTime() - restartAt },
    restartStartupMs: startupMs,
  });
});
