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
 * A call from a page or a device (presence.ts: not a server library's identify or track) also marks its user
 * active (presence, for `s.user.activeWithin(...)`), at the call's skew-corrected time (clock.ts). An identify
 * that gives the profile an address wakes the user's sends waiting for one (intake/address-waits.ts). A call
 * made with a browser key arrives here already narrowed (access.ts); its track starts only client-triggerable
 * workflows (intake/events.ts).
 */
import type { Bundle } from '../../compiler/bundle/schema.ts';
import * as sql from '../db/sql.ts';
import { exec, one, type SqlClient } from '../db/sql-client.ts';
import type { DriverDeps } from '../execution/deps.ts';
import { workflowIndex } from '../../compiler/bundle/workflow-index.ts';
import { prepareEvent } from '../intake/index.ts';
import { gainedAddress, type SavedAddresses, wakeAddressWaits } from '../intake/address-waits.ts';
import { acceptEvent } from '../intake/runs.ts';
import type { WriteKeyKind } from './auth.ts';
import { activityTime } from './clock.ts';
import { resolveEventName } from './names.ts';
import { countsAsPresence } from './presence.ts';
import { identifyPatch } from './profile.ts';
import type { SegmentEvent, TrackEvent } from './schema.ts';

export type CallOutcome =
  | {
      type: 'track';
      userId: string;
      event: string;
      runs: string[];
      /** The workflows of the runs started (for metrics; none for a duplicate). */
      workflows: string[];
      duplicate: boolean;
      /** Workflows the event triggers that it did not start, because it came with a browser key. */
      withheld: boolean;
    }
  | { type: 'identify' | 'page' | 'screen' | 'group'; userId: string }
  | { type: 'alias'; userId: string; merged: boolean };

/** The user a call is about: Segment's userId, else the anonymousId (an alias later merges the two). */
function subjectOf(event: SegmentEvent): string {
  // The schema guarantees one of them.
  return event.userId ?? event.anonymousId!;
}

export interface Applying {
  bundle: Bundle;
  receivedAt: number;
  key: WriteKeyKind;
}

export async function applySegmentEvent(deps: DriverDeps, tx: SqlClient, event: SegmentEvent, at: Applying): Promise<CallOutcome> {
  const userId = subjectOf(event);
  const outcome = await applyCall(deps, tx, event, userId, at);
  if (countsAsPresence(event)) await exec(tx, sql.markActive(userId, new Date(activityTime(at.receivedAt, event))));
  return outcome;
}

async function applyTrack(deps: DriverDeps, tx: SqlClient, event: TrackEvent, userId: string, at: Applying): Promise<CallOutcome> {
  const name = resolveEventName(at.bundle, event.event);
  const fromClient = at.key === 'browser';
  const input = prepareEvent(at.bundle, { event: name, userId, properties: event.properties, messageId: event.messageId ?? null, fromClient });
  const accepted = await acceptEvent(deps, tx, input);
  const started = new Set(accepted.duplicate ? [] : accepted.runs);
  const workflows = input.workflows.filter((_, i) => started.has(input.runIds[i]!)).map((w) => w.id);
  const withheld = fromClient && workflowIndex(at.bundle).startedBy(name).length > input.workflows.length;
  return { type: 'track', userId, event: name, runs: accepted.runs, workflows, duplicate: accepted.duplicate, withheld };
}

async function applyCall(deps: DriverDeps, tx: SqlClient, event: SegmentEvent, userId: string, at: Applying): Promise<CallOutcome> {
  switch (event.type) {
    case 'track':
      return applyTrack(deps, tx, event, userId, at);
    case 'identify': {
      const { patch, pushToken } = identifyPatch(event.traits, event.context);
      const saved = await one<SavedAddresses>(tx, sql.upsertUser(userId, patch));
      if (pushToken) await exec(tx, sql.addPushToken(userId, pushToken));
      const after = { ...saved, push_tokens: [...(saved?.push_tokens ?? []), ...(pushToken ? [pushToken] : [])] };
      if (gainedAddress(saved?.address_before, after)) await wakeAddressWaits(deps, tx, userId);
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
      // The merged profile may bring the target an address it lacked.
      if (row?.merged) await wakeAddressWaits(deps, tx, event.userId);
      return { type: 'alias', userId, merged: row?.merged ?? false };
    }
  }
}
