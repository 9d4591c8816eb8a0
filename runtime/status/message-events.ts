/**
 * What happened to a message, recorded (by hand through the API, or reported by its provider): the status
 * moves forward only, the history keeps every report with its time, and an engagement the engine knows wakes
 * the message's run.
 */
import { engagementKindSchema, type JsonValue } from '../../compiler/bundle/schema.ts';
import * as sql from '../db/sql.ts';
import { rows, type SqlClient } from '../db/sql-client.ts';
import type { EngagementKind } from '../engine/index.ts';
import type { StatusDeps } from '../execution/deps.ts';
import { sendFact } from '../execution/queue.ts';
import { syncRead } from './read-sync.ts';
import { isRead, nextStatus } from './status.ts';

const ENGINE_ENGAGEMENTS = new Set<string>(engagementKindSchema.options);

/**
 * Records what happened to a message (by hand through the API, reported by its provider, or by the inbox): the
 * status moves forward only (status.ts), the history keeps every report with its time, and an engagement the
 * engine knows (delivered, seen, read, opened, clicked) wakes the message's run — waits and `engaged(...)`
 * conditions read it. An in-app message read for the first time brings its step's other channels along when the
 * send asks for read sync (read-sync.ts).
 */
export async function recordMessageEvent(
  deps: StatusDeps,
  tx: SqlClient,
  message: sql.MessageRow,
  kind: string,
  detail: Record<string, JsonValue>,
  at: number = deps.now(),
): Promise<sql.MessageRow> {
  const status = nextStatus(message.status, kind);
  const update = sql.appendMessageStatus(message.id, status, { status: kind, at: new Date(at).toISOString(), ...detail });
  const [row] = await rows<sql.MessageRow>(tx, update);
  if (ENGINE_ENGAGEMENTS.has(kind)) {
    const fact = { type: 'engagement' as const, now: deps.now(), stepId: message.step_id, kind: kind as EngagementKind };
    await sendFact(deps.boss, { runId: message.run_id, fact }, { client: tx });
  }
  if (message.channel === 'inapp' && !isRead(message.status) && isRead(status)) await syncRead(deps, tx, message, at);
  return row!;
}
