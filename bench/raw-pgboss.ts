/**
 * The baseline of the end-to-end figures: raw pg-boss on the same server, `count` jobs sent (`send`, as many
 * in flight as the HTTP load has triggers in flight) while one worker works them with Herald's fetch
 * settings (`workOptions` at the runtime's default concurrency), each job doing one `SELECT 1` for its
 * work. Sending and working overlap, as triggers and sends do in Herald: the figure is jobs/s from the
 * first send to the last job done.
 */
import { PgBoss } from 'pg-boss';
import { readConfig } from '../runtime/config.ts';
import { workOptions } from '../runtime/execution/queue.ts';
import { pool } from './stats.ts';

/** The runtime's default HERALD_WORKERS, so the baseline fetches as a default `herald start` does. */
export const DEFAULT_WORKERS = readConfig({}).workers;

/**
 * Requests in flight of the throughput load (a closed loop: each client sends its next trigger when the last
 * is answered), and the baseline's sends in flight. Enough that the clients' round trips do not bound the
 * rate: at 32 the accepted triggers/s of one process was the number of clients over the trigger latency.
 */
export const TRIGGERS_IN_FLIGHT = 64;

export interface RawPgBossFigures {
  jobs: number;
  /** Sends acknowledged per second, while the worker runs: the floor of a trigger's accept. */
  sendPerSecond: number;
  /** Jobs done per second, first send to last completion. */
  endToEndPerSecond: number;
  workers: number;
}

/** The baselines' pg-boss, on `url`: the runtime's connection settings (LISTEN/NOTIFY, a pool of 10) and a `bench` queue. */
export async function startRawBoss(url: string): Promise<PgBoss> {
  const boss = new PgBoss({ connectionString: url, schema: 'pgboss', useListenNotify: true, max: 10 });
  boss.on('error', () => {});
  await boss.start();
  await boss.createQueue('bench', { notify: true });
  return boss;
}

/** Works the `bench` queue as a baseline job: Herald's fetch settings, one `SELECT 1` a job; `onDone` after each. */
export function workSelectOne(boss: PgBoss, workers: number, onDone: () => void = () => {}): Promise<string> {
  return boss.work('bench', workOptions(workers), async (jobs: { id: string }[]) =>
    Promise.all(
      jobs.map(async (job) => {
        await boss.getDb().executeSql('SELECT 1');
        onDone();
        return { id: job.id, status: 'completed' as const };
      }),
    ),
  );
}

/** Jobs sent and worked before the clock starts, as each Herald pass warms its processes first. */
const WARM_UP = 200;

export async function rawPgBoss(url: string, count: number, workers = DEFAULT_WORKERS): Promise<RawPgBossFigures> {
  const boss = await startRawBoss(url);
  try {
    let done = 0;
    let target = WARM_UP;
    let finish = () => {};
    const next = () => new Promise<void>((resolve) => (finish = resolve));
    let finished = next();
    await workSelectOne(boss, workers, () => {
      if (++done === target) finish();
    });
    await pool(WARM_UP, TRIGGERS_IN_FLIGHT, async (i) => void (await boss.send('bench', { i })));
    await finished;
    finished = next();
    target += count;
    const t0 = performance.now();
    await pool(count, TRIGGERS_IN_FLIGHT, async (i) => void (await boss.send('bench', { i })));
    const sendSeconds = (performance.now() - t0) / 1000;
    await finished;
    const seconds = (performance.now() - t0) / 1000;
    return { jobs: count, sendPerSecond: Math.round(count / sendSeconds), endToEndPerSecond: Math.round(count / seconds), workers };
  } finally {
    await boss.stop({ graceful: false, timeout: 2000 });
  }
}
