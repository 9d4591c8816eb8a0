/**
 * One Segment call applied to Herald, inside the caller's transaction (one per call: in a batch, a call
 * that is refused rolls back alone).
 *
 * | call            | what Herald does |
 * |-----------------|------------------|
 * | identify        | upserts the profile (profile.ts), adds the device's push token |
 * | track           | `ingestEvent`: validated against the bundle's event, logged, workflows started, waits fed; `messageId` dedupes retries |
 * | page, screen    | presence only |
 * | group           | the group's traits under `traits.groups.<groupId>` |
 * | alias           | `previousId`'s profile merged into `userId`'s (sql.mergeUserInto) |
 *
 * Every call also marks its user active (presence, for `s.user.activeWithin(...)`), at the call's
 * skew-corrected time (clock.ts).
 */
import type { Bundle } from '../../compiler/bundle/schema.ts';
import * as sql from '../db/sql.ts';
import { exec, one, type SqlClient } from '../db/sql-client.ts';
import type { DriverDeps } from '../driver/context.ts';
import { ingestEvent } from '../driver/ingest.ts';
import { activityTime } from './clock.ts';
import { resolveEventName } from './names.ts';
import { identifyPatch } from './profile.ts';
import type { SegmentEvent } from './schema.ts';

export type CallOutcome =
  | { type: 'track'; userId: string; event: string; runs: string[]; duplicate: boolean }
  | { type: 'identify' | 'page' | 'screen' | 'group'; userId: string }
  | { type: 'alias'; userId: string; merged: boolean };

/** The user a call is about: Segment's userId, else the anonymousId (an alias later merges the two). */
function subjectOf(event: SegmentEvent): string {
  // The schema guarantees one of them.
  return event.userId ?? event.anonymousId!;
}

export async function applySegmentEvent(deps: DriverDeps, tx: SqlClient, bundle: Bundle, event: SegmentEvent, receivedAt: number): Promise<CallOutcome> {
  const userId = subjectOf(event);
  const outcome = await applyCall(deps, tx, bundle, event, userId);
  await exec(tx, sql.markActive(userId, new Date(activityTime(receivedAt, event))));
  return outcome;
}

async function applyCall(deps: DriverDeps, tx: SqlClient, bundle: Bundle, event: SegmentEvent, userId: string): Promise<CallOutcome> {
  switch (event.type) {
    case 'track': {
      const name = resolveEventName(bundle, event.event);
      const accepted = await ingestEvent(deps, tx, bundle, { event: name, userId, properties: event.properties, messageId: event.messageId ?? null });
      return { type: 'track', userId, event: name, runs: accepted.runs, duplicate: accepted.duplicate };
    }
    case 'identify': {
      const { patch, pushToken } = identifyPatch(event.traits, event.context);
      await exec(tx, sql.upsertUser(userId, patch));
      if (pushToken) await exec(tx, sql.addPushToken(userId, pushToken));
      return { type: 'identify', userId };
    }
    case 'page':
    case 'screen':
      return { type: event.type, userId };
    case 'group':
      await exec(tx, sql.setGroupTraits(userId, event.groupId, event.traits));
      return { type: 'group', userId };
    case 'alias': {
      const row = await one<{ merged: boolean }>(tx, sql.mergeUserInto(event.userId, event.previousId));
      return { type: 'alias', userId, merged: row?.merged ?? false };
    }
  }
}
