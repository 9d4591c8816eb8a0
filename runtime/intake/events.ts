/**
 * A product event, whoever brings it (`POST /v1/events`, Segment's `track`, the typed client's in-transaction
 * enqueue): its properties checked against the event's schema in the live bundle and the runs it would
 * start named, before any transaction; once accepted (intake/runs.ts), the one answer every door gives.
 */
import { randomUUID } from 'node:crypto';
import type { Bundle, JsonValue } from '../../compiler/bundle/schema.ts';
import type { EventAcceptance, EventInput } from './runs.ts';
import { InputError } from '../errors.ts';
import { eventValidator } from '../../compiler/bundle/validators.ts';
import { workflowIndex } from '../../compiler/bundle/workflow-index.ts';

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
  readonly event: string;
  readonly issues: { path: string; message: string; code: string }[];

  constructor(
    event: string,
    issues: { path: string; message: string; code: string }[],
    /** What the caller named the data: `properties` (an event) or `data` (a workflow trigger). */
    where = 'properties',
  ) {
    super(`${where} of event "${event}": ${issues[0]?.path || '(root)'}: ${issues[0]?.message ?? 'invalid'}`, issues);
    this.event = event;
    this.issues = issues;
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

/** Checks an incoming event against the bundle and names the runs it would start. */
export function prepareEvent(bundle: Bundle, input: IncomingEvent): EventInput {
  checkEventData(bundle, input.event, input.properties);
  const triggered = workflowIndex(bundle).startedBy(input.event);
  const workflows = input.fromClient ? triggered.filter((w) => w.clientTriggerable === true) : [...triggered];
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

/** The body of an accepted event's 202. */
export type EventAnswer = { runs: string[]; duplicate: true } | { runs: string[]; routed: number; note?: string };

export function eventAnswer(accepted: EventAcceptance, event: string): EventAnswer {
  // A retry of an event already accepted (same messageId): the same runs, nothing new.
  if (accepted.duplicate) return { runs: accepted.runs, duplicate: true };
  const { runs, routed } = accepted;
  const body: EventAnswer = { runs, routed: routed.length };
  if (runs.length === 0) body.note = `no workflow is triggered by "${event}"; it was logged${routed.length ? ' and delivered to waiting runs' : ''}`;
  return body;
}
