/**
 * Read sync (a send's `readSync`, Courier's cross-channel read): once a step's in-app message is read, or its action
 * followed, the step's messages on its other channels are marked `read` in the message log — the email the person
 * no longer needs to open, the push they no longer need to tap. Each gets one history entry naming the message that
 * was read, and its status moves forward only, so an email already opened or clicked keeps what it had. Only
 * messages that went out are marked (sent, delivered, seen); skipped, failed and bounced ones never reached anyone.
 * The run is not told again: the in-app read already reported the engagement to it, once.
 */
import { findStep } from '../../compiler/bundle/walk.ts';
import * as sql from '../db/sql.ts';
import { exec, one, rows, type SqlClient } from '../db/sql-client.ts';
import type { StatusDeps } from '../execution/deps.ts';
import { bundleWithDefinition } from '../execution/definition.ts';

const MARKED_FROM = new Set(['sent', 'delivered', 'seen']);

/** Marks read the other messages of `read`'s step when its send asks for read sync; returns the ids marked. */
export async function syncRead(deps: Pick<StatusDeps, 'bundles'>, tx: SqlClient, read: sql.MessageRow, at: number): Promise<string[]> {
  const run = await one<sql.RunRow>(tx, sql.runById(read.run_id));
  if (!run) return [];
  // The run's own bundle version (and its ad-hoc workflow): the send as it was when the message went out.
  const bundle = bundleWithDefinition(await deps.bundles.get(tx, run.bundle_version), run.definition);
  const step = findStep(bundle.workflows[run.workflow]?.steps ?? [], read.step_id);
  if (step?.kind !== 'send' || !step.readSync) return [];
  const marked: string[] = [];
  for (const other of await rows<sql.MessageRow>(tx, sql.lockOtherStepMessages(run, read.step_id, read.id))) {
    if (other.channel === 'inapp' || !MARKED_FROM.has(other.status)) continue;
    await exec(tx, sql.appendMessageStatus(other.id, 'read', { status: 'read', at: new Date(at).toISOString(), source: 'read-sync', from: read.id }));
    marked.push(other.id);
  }
  return marked;
}
