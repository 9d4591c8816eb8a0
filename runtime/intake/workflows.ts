/**
 * A workflow triggered directly rather than by an event (`POST /v1/workflows/:id/trigger`, Courier's send and
 * automations): its runs started for each recipient in turn, a recipient user's profile updated first so the
 * runs read it.
 */
import type { ProfilePatch } from '../db/sql.ts';
import * as sql from '../db/sql.ts';
import { exec, type SqlClient } from '../db/sql-client.ts';
import type { DriverDeps } from '../execution/deps.ts';
import { startManyRuns, type StartInput } from './runs.ts';

/** One recipient's runs; `profile` (a user recipient's fields sent with the trigger) is saved before they start. */
export interface WorkflowStart extends StartInput {
  profile?: ProfilePatch;
}

/**
 * Starts each recipient's runs in `tx`; answers with the runs each started, in order. The profiles go first, then
 * every run in one statement (a fan-out's page is hundreds of starts): a run reads its profile at its start, after
 * the commit, so the order within the transaction changes nothing.
 */
export async function startWorkflows(deps: DriverDeps, tx: SqlClient, starts: readonly WorkflowStart[]): Promise<string[][]> {
  for (const { profile, userId } of starts) if (profile && userId !== null) await exec(tx, sql.upsertUser(userId, profile));
  return startManyRuns(
    deps,
    tx,
    starts.map(({ profile: _profile, ...input }) => input),
  );
}
