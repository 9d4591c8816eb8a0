/**
 * One way in for a product event, whoever brings it (`POST /v1/events`, Segment's `track`, the typed client's
 * in-transaction enqueue): its properties checked against the event's schema in the live bundle, then
 * accepted — logged, the workflows it triggers started, the runs waiting for it fed (triggers.ts).
 */
import { randomUUID } from 'node:crypto';
import type { Bundle, JsonValue, Workflow } from '../../compiler/bundle/schema.ts';
import type { SqlClient } from '../db/sql-client.ts';
import { InputError } from '../errors.ts';
import { eventValidator } from '../validate.ts';
import type { DriverDeps } from './context.ts';
import type { Database } from '../db/pool.ts';
import { createBatcher } from '../db/group-commit.ts';
import { acceptEvent, acceptEvents, type EventAcceptance, type EventInput } from './triggers.ts';

export interface IncomingEvent {
  event: string;
  userId: string;
  properties: Record<string, JsonValue>;
  /** The sender's id for the event: a retry with the same id changes nothing. */
  messageId: string | null;
  /**
   * Sent with a public key (a Segment browser write key), so its user is only claimed: it starts only the
   * workflows marked `clientTriggerable`, and when it starts none it is only logged (it feeds no waits and
   * cancels nothing), since anyone could send it for anyone.
   */
  fromClient?: boolean;
}

/** Properties that do not fit the event's schema, with zod's issues (field path and message). */
export class InvalidEventError extends InputError {
  constructor(
    readonly event: string,
    readonly issues: { path: string; message: string; code: string }[],
    /** What the caller named the data: `properties` (an event) or `data` (a workflow trigger). */
    where = 'properties',
  ) {
    super(`${where} of event "${event}": ${issues[0]?.path || '(root)'}: ${issues[0]?.message ?? 'invalid'}`, issues);
  }
}

/** Checks data against the event's schema in the bundle; an event the bundle does not know passes as is. */
export function checkEventData(bundle: Bundle, event: string, data: Record<string, JsonValue>, where = 'properties'): void {
  const validator = eventValidator(bundle, event);
  if (!validator) return;
  const result = validator.safeParse(data);
  if (!result.success)
    throw new InvalidEventError(
      event,
      result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message, code: i.code })),
      where,
    );
}

const triggered = new WeakMap<Bundle, Map<string, Workflow[]>>();

/** The bundle's workflows an event starts (indexed once per bundle: every event asks). */
export function workflowsTriggeredBy(bundle: Bundle, event: string): Workflow[] {
  let byEvent = triggered.get(bundle);
  if (!byEvent) {
    byEvent = new Map();
    for (const w of Object.values(bundle.workflows)) {
      if (w.trigger.type === 'event') byEvent.set(w.trigger.event, [...(byEvent.get(w.trigger.event) ?? []), w]);
    }
    triggered.set(bundle, byEvent);
  }
  return byEvent.get(event) ?? [];
}

/** Checks an incoming event against the bundle and names the runs it would start. */
export function prepareEvent(bundle: Bundle, input: IncomingEvent): EventInput {
  checkEventData(bundle, input.event, input.properties);
  const triggered = workflowsTriggeredBy(bundle, input.event);
  const workflows = input.fromClient ? triggered.filter((w) => w.clientTriggerable === true) : triggered;
  return {
    ...(input.fromClient && workflows.length === 0 ? { feedsRuns: false } : {}),
    bundle,
    workflows,
    runIds: workflows.map(() => randomUUID()),
    userId: input.userId,
    event: input.event,
    messageId: input.messageId,
    data: input.properties,
  };
}

/** Accepts one event inside the caller's transaction. */
export async function ingestEvent(deps: DriverDeps, tx: SqlClient, bundle: Bundle, input: IncomingEvent): Promise<EventAcceptance> {
  return acceptEvent(deps, tx, prepareEvent(bundle, input));
}

/**
 * Accepts events in transactions of their own, group-committed: events arriving together are accepted by one
 * statement in one transaction (db/group-commit.ts), each answered once its group has committed. The way in
 * for callers with nothing else to write (`POST /v1/events` without an Idempotency-Key).
 */
export function createEventIntake(db: Database, deps: DriverDeps): (input: EventInput) => Promise<EventAcceptance> {
  return createBatcher<EventInput, EventAcceptance>({
    together: (inputs) => db.transaction((tx) => acceptEvents(deps, tx, inputs)),
    alone: (input) => db.transaction((tx) => acceptEvent(deps, tx, input)),
  });
}
