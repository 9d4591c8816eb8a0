/**
 * A workflow triggered directly rather than by an event (`POST /v1/workflows/:id/trigger`, Courier's send and
 * automations): its runs started for each recipient in turn, a recipient user's profile updated first so the
 * runs read it.
 */
import type { ProfilePatch } from '../db/sql.ts';
import * as sql from '../db/sql.ts';
import { exec, type SqlClient } from '../db/sql-client.ts';
import type { DriverDeps } from '../execution/deps.ts';
import { startRuns, type StartInput } from './runs.ts';

/** One recipient's runs; `profile` (a user recipient's fields sent with the trigger) is saved before they start. */
export interface WorkflowStart extends StartInput {
  profile?: ProfilePatch;
}

/** Starts each recipient's runs in `tx`, in order; answers with the runs each started. */
export async function startWorkflows(deps: DriverDeps, tx: SqlClient, starts: readonly WorkflowStart[]): Promise<string[][]> {
  const started: string[][] = [];
  for (const { profile, ...input } of starts) {
    if (profile && input.userId !== null) await exec(tx, sql.upsertUser(input.userId, profile));
    started.push(await startRuns(deps, tx, input));
  }
  return started;
}
