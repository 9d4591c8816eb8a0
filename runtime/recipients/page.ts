/**
 * One page of a fan-out, in ONE transaction: lock the fan-out, stop unless it is running and at the job's
 * cursor, read the next recipients after the cursor, start a run for each (the member's own: their
 * preferences, channels and time zone apply as for any run), move the cursor past them and count them, then
 * enqueue the next page or mark the fan-out done. The runs and the cursor commit together, so a crash at any
 * point neither skips nor repeats a recipient: a page rolled back is read again from the same cursor.
 */
import { randomUUID } from 'node:crypto';
import { runWorkflow } from '../../compiler/bundle/broadcasts.ts';
import type { JsonValue } from '../../compiler/bundle/schema.ts';
import type { Database } from '../db/pool.ts';
import { exec, one } from '../db/sql-client.ts';
import { failpoint } from '../failpoints.ts';
import { runDefinitionSchema } from '../execution/definition.ts';
import { startWorkflows, type WorkflowStart } from '../intake/workflows.ts';
import type { FanoutDeps } from './fanouts.ts';
import { enqueuePage, type PageJob } from './queue.ts';
import { recipientPage, recipientSourceSchema } from './source.ts';
import * as sql from './sql.ts';

/** Recipients per page without a rate: a page is two statements and its runs, well under a second. */
export const PAGE_SIZE = 500;
/** With a rate, pages come at least this often, so starts spread over the minute rather than in one burst. */
const PAGES_PER_MINUTE = 10;

/** A page's size and the time to the next one, for a rate (starts per minute) or none, and a page size or the default. */
export function pacing(ratePerMinute: number | null, pageSize: number | null = null): { size: number; gapMs: number } {
  const largest = Math.max(1, Math.min(PAGE_SIZE, pageSize ?? PAGE_SIZE));
  if (!ratePerMinute || ratePerMinute <= 0) return { size: largest, gapMs: 0 };
  const size = Math.max(1, Math.min(largest, Math.round(ratePerMinute / PAGES_PER_MINUTE)));
  return { size, gapMs: Math.ceil((size / ratePerMinute) * 60_000) };
}

export type PageOutcome = 'stale' | 'stopped' | 'page' | 'done';

/**
 * With `dueNow`, the caller runs the next page itself when it is due at once (no rate): it is told the next page's
 * job after this page committed, and that job is still enqueued with the page, as the safety net, but due
 * CHAINED_SAFETY_MS later, so it neither races the caller for the fan-out's lock nor waits long after a crash (it
 * then finds the cursor moved on and does nothing, or carries on from where the crash left it).
 */
export async function runPage(deps: FanoutDeps, db: Database, job: PageJob, dueNow?: (next: PageJob) => void): Promise<PageOutcome> {
  let next: PageJob | null = null;
  const outcome = await pageTransaction(deps, db, job, dueNow ? (job) => (next = job) : null);
  if (next && dueNow) dueNow(next);
  return outcome;
}

/** How late the safety-net job of a page the worker runs itself is due (see runPage). */
const CHAINED_SAFETY_MS = 3_000;

async function pageTransaction(deps: FanoutDeps, db: Database, job: PageJob, chain: ((next: PageJob) => void) | null): Promise<PageOutcome> {
  return db.transaction(async (tx) => {
    const fanout = await one<sql.FanoutRow>(tx, sql.lockFanout(job.fanoutId));
    if (fanout?.status !== 'running') return 'stopped';
    if (fanout.cursor !== job.after) return 'stale';
    const bundle = await deps.driver.bundles.get(tx, fanout.bundle_version);
    const definition = fanout.definition === null ? undefined : runDefinitionSchema.parse(fanout.definition);
    // runWorkflow: the bundle's own workflow, or a broadcast's (`broadcast:<id>`, compiler/bundle/broadcasts.ts).
    const workflow = definition?.workflow ?? runWorkflow(bundle, fanout.workflow);
    const source = recipientSourceSchema.parse(fanout.source);
    const { size, gapMs } = pacing(fanout.rate_per_minute, fanout.page_size);
    const page = workflow
      ? await recipientPage(tx, source, { bundle, after: fanout.cursor, limit: size, ...(deps.audiences ? { audiences: deps.audiences } : {}) })
      : [];
    if (workflow && page.length > 0) {
      const starts = page.map(
        (userId): WorkflowStart => ({
          bundle,
          workflows: [workflow],
          runIds: [randomUUID()],
          userId,
          recipient: null,
          data: fanout.data as Record<string, JsonValue>,
          triggerEvent: null,
          fanoutId: fanout.id,
          ...(definition ? { definition } : {}),
          ...(fanout.request_id ? { requestId: fanout.request_id } : {}),
          ...(fanout.tenant ? { tenantId: fanout.tenant } : {}),
        }),
      );
      await startWorkflows(deps.driver, tx, starts);
    }
    // A short page is the last: there is nothing after its last recipient (yet). A workflow gone from its
    // pinned bundle (impossible for a bundle's own; defensive for a bad row) ends the fan-out too.
    const done = page.length < size;
    const cursor = page.at(-1) ?? null;
    await exec(tx, sql.advanceFanout(fanout.id, cursor, page.length, done));
    const chained = !done && gapMs === 0 && chain !== null;
    const dueIn = chained ? CHAINED_SAFETY_MS : gapMs;
    if (!done) {
      const at = dueIn > 0 ? deps.driver.now() + dueIn : undefined;
      await enqueuePage(deps.driver.boss, tx, { fanoutId: fanout.id, after: cursor }, at, { safetyNet: chained });
    }
    if (chained) chain({ fanoutId: fanout.id, after: cursor });
    // The fault suite's kill -9 with a page's runs inserted and its cursor moved, before its commit.
    if (page.length > 0) failpoint('fanout.before-commit');
    return done ? 'done' : 'page';
  });
}
