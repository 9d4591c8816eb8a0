/**
 * A fan-out: one run of a workflow per recipient of a source, started page by page by durable jobs (page.ts).
 * It is created in the caller's transaction (a trigger's, a broadcast's), with its first page job, so an
 * accepted request has its whole fan-out in Postgres; its progress is a row.
 */
import { randomUUID } from 'node:crypto';
import type { Bundle, JsonValue, Workflow } from '../../compiler/bundle/schema.ts';
import { one, exec, type SqlClient } from '../db/sql-client.ts';
import type { DriverDeps } from '../execution/deps.ts';
import type { RunDefinition } from '../execution/definition.ts';
import { enqueuePage } from './queue.ts';
import { recipientCount, type AudienceReader, type RecipientSource } from './source.ts';
import * as sql from './sql.ts';

/** What a fan-out needs: the driver (runs start through the intake's start), and the audience hook when wired. */
export interface FanoutDeps {
  driver: DriverDeps;
  audiences?: AudienceReader;
}

export interface NewFanout {
  id?: string;
  /** Who made it, for the record: `trigger`, `courier`, `broadcast`, `schedule`. */
  kind: string;
  source: RecipientSource;
  bundle: Bundle;
  /** The workflow each run runs; with `definition`, the definition's own (ad-hoc runs carry it). */
  workflow: Workflow;
  definition?: RunDefinition;
  data?: Record<string, JsonValue>;
  tenant?: string | null;
  /** Set on every run's request_id too (Courier's requestId). */
  requestId?: string;
  /** Recipients per page, 1–PAGE_SIZE (default PAGE_SIZE); a rate may make pages smaller. */
  pageSize?: number;
  /** Starts per minute at most: pages are sized and spaced by it. */
  ratePerMinute?: number | null;
  /** The first page waits until then (a scheduled send). */
  notBefore?: Date;
}

export interface FanoutProgress {
  id: string;
  kind: string;
  status: 'running' | 'done' | 'cancelled';
  workflow: string;
  /** The source's size when the fan-out was created. */
  planned: number;
  /** Runs started so far (members who joined after creation, before the cursor reached them, count here too). */
  started: number;
  /** The last user id started: members after it in id order are still to come. */
  cursor: string | null;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

export function progressOf(row: sql.FanoutRow): FanoutProgress {
  return {
    id: row.id,
    kind: row.kind,
    status: row.status,
    workflow: row.workflow,
    planned: row.planned,
    started: row.started,
    cursor: row.cursor,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    finishedAt: row.finished_at?.toISOString() ?? null,
  };
}

/** Inserts the fan-out (planned = the source's size now) and its first page job, in `tx`. */
export async function createFanout(deps: FanoutDeps, tx: SqlClient, input: NewFanout): Promise<{ id: string; planned: number }> {
  const id = input.id ?? randomUUID();
  const planned = await recipientCount(tx, input.source, { bundle: input.bundle, ...(deps.audiences ? { audiences: deps.audiences } : {}) });
  const notBefore = input.notBefore ?? new Date(deps.driver.now());
  await exec(
    tx,
    sql.insertFanout({
      id,
      kind: input.kind,
      source: input.source,
      workflow: input.definition?.workflow.id ?? input.workflow.id,
      bundle_version: input.bundle.version,
      definition: input.definition ?? null,
      data: input.data ?? {},
      tenant: input.tenant ?? null,
      request_id: input.requestId ?? null,
      planned,
      page_size: input.pageSize ?? null,
      rate_per_minute: input.ratePerMinute ?? null,
      not_before: notBefore,
    }),
  );
  await enqueuePage(deps.driver.boss, tx, { fanoutId: id, after: null }, notBefore.getTime());
  return { id, planned };
}

/** Stops the fan-out: pages not yet started never start (runs already started are left as they are). */
export async function cancelFanout(tx: SqlClient, id: string): Promise<FanoutProgress | null> {
  await exec(tx, sql.cancelFanout(id));
  return fanoutProgress(tx, id);
}

export async function fanoutProgress(db: SqlClient, id: string): Promise<FanoutProgress | null> {
  const row = await one<sql.FanoutRow>(db, sql.fanoutById(id));
  return row ? progressOf(row) : null;
}
