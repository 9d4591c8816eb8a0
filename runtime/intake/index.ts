/**
 * The intake: the one way triggers come in. Every door that starts runs — `POST /v1/events`,
 * `POST /v1/workflows/:id/trigger`, Segment, the Courier API, the typed client's queue — hands its trigger
 * here. Built once per runtime (server.ts) and given to the routes in their deps; it owns
 * - group commit (group-commit.ts): triggers that arrive while earlier ones commit share a transaction; a lone
 *   one runs at once, and a group that fails is retried member by member;
 * - `Idempotency-Key` claims (keys.ts), in the transaction of the work they guard;
 * - both kinds of trigger: an event (events.ts, accepted by intake/runs.ts) and a workflow started
 *   directly (workflows.ts).
 *
 * Its groups form in three lanes, because each shares a transaction its own way: events without a key are
 * accepted by one statement for the whole group (acceptEvents: events of one group behave as if they came one
 * after the other); keyed triggers claim the group's keys in one statement, then do each claimed trigger's
 * work; anything else (Segment calls, workflows triggered without a key) runs one after the other.
 */
import type { Database } from '../db/pool.ts';
import type { SqlClient } from '../db/sql-client.ts';
import type { DriverDeps } from '../execution/deps.ts';
import { acceptEvent, acceptEvents, type EventAcceptance, type EventInput } from './runs.ts';
import { HttpError } from '../http/errors.ts';
import { eventAnswer, type EventAnswer } from './events.ts';
import { createBatcher, createGroupCommit, type TransactionWork } from './group-commit.ts';
import { claimKeys, type Accepted, type Keyed, type KeyedOutcome, type RequestKey } from './keys.ts';
import { startWorkflows, type WorkflowStart } from './workflows.ts';

export { checkEventData, InvalidEventError, prepareEvent, type EventAnswer, type IncomingEvent } from './events.ts';
export { startIngestConsumer, type IngestConsumer } from './ingest-queue.ts';
export { requestKey, type Accepted, type KeyedOutcome, type RequestKey } from './keys.ts';
export type { WorkflowStart } from './workflows.ts';

export interface Intake {
  /** An event, checked and prepared (prepareEvent): logged, the workflows it triggers started, the runs waiting for it fed. */
  event(input: EventInput, key?: RequestKey): Promise<Accepted<EventAnswer>>;
  /**
   * A workflow triggered directly: each start's runs, in order. `answer` makes the 202's body from the runs each
   * start began; a replay (same key, same request) answers with the body stored for the key.
   */
  workflow<Body>(starts: readonly WorkflowStart[], answer: (runs: string[][]) => Body, key?: RequestKey): Promise<Accepted<Body>>;
  /** Other work that may share a group's transaction (a Segment call); it may run twice and must touch nothing but `tx`. */
  grouped<T>(work: TransactionWork<T>): Promise<T>;
  /**
   * Work that answers a request as a trigger does but is not a list of starts (a fan-out created): keyed by the
   * request's `Idempotency-Key` when given (a replay answers with the stored body), grouped otherwise. It may run
   * twice and must touch nothing but `tx`.
   */
  work<Body>(work: TransactionWork<Body>, key?: RequestKey): Promise<Accepted<Body>>;
  /**
   * An event accepted in a transaction the caller holds (the ingest queue's pass), its key claimed there: a key
   * already used answers as a replay, or as a conflict when it was used for another request.
   */
  eventIn(tx: SqlClient, input: EventInput, key?: RequestKey): Promise<KeyedOutcome>;
}

/** The answer of a keyed trigger; a key used with another request is refused (422). */
function settled<Body>(outcome: KeyedOutcome): Accepted<Body> {
  if ('conflict' in outcome) {
    throw new HttpError(422, 'idempotency_conflict', `Idempotency-Key "${outcome.conflict}" was used with a different body; use a new key for a new request`);
  }
  // The body this key's first request answered with: the same kind of trigger made it.
  return outcome as Accepted<Body>;
}

export function createIntake(db: Database, deps: DriverDeps): Intake {
  const events = createBatcher<EventInput, EventAcceptance>({
    together: (inputs) => db.transaction((tx) => acceptEvents(deps, tx, inputs)),
    alone: (input) => db.transaction((tx) => acceptEvent(deps, tx, input)),
  });
  const keyed = createBatcher<Keyed, KeyedOutcome>({
    together: (group) => db.transaction((tx) => claimKeys(tx, group)),
    alone: async (item) => (await db.transaction((tx) => claimKeys(tx, [item])))[0]!,
  });
  const grouped = createGroupCommit((work) => db.transaction(work));

  const acceptedEvent = (input: EventInput) => async (tx: SqlClient) => eventAnswer(await acceptEvent(deps, tx, input), input.event);

  return {
    async event(input, key) {
      if (key) return settled(await keyed({ ...key, work: acceptedEvent(input) }));
      return { body: eventAnswer(await events(input), input.event), replayed: false };
    },
    async workflow(starts, answer, key) {
      const work = async (tx: SqlClient) => answer(await startWorkflows(deps, tx, starts));
      if (key) return settled(await keyed({ ...key, work }));
      return { body: await grouped(work), replayed: false };
    },
    grouped,
    async work(work, key) {
      if (key) return settled(await keyed({ ...key, work }));
      return { body: await grouped(work), replayed: false };
    },
    async eventIn(tx, input, key) {
      const work = acceptedEvent(input);
      if (key) return (await claimKeys(tx, [{ ...key, work }]))[0]!;
      return { body: await work(tx), replayed: false };
    },
  };
}
