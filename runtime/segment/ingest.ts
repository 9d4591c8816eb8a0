/**
 * Segment calls in, outcomes out: each call validated (schema.ts), size-checked (limits.ts) and applied
 * (apply.ts) through the runtime's intake, group-committed with the calls that arrive with it: a refused call
 * is retried alone, so in a batch it changes nothing for the others. A browser key's call is narrowed first
 * (access.ts): refused, or applied without the fields such a key may not set, which are reported back.
 */
import { isConnectionError } from '../db/pool.ts';
import type { DriverDeps } from '../execution/deps.ts';
import { InvalidEventError, type Intake } from '../intake/index.ts';
import type { Bundle } from '../../compiler/bundle/schema.ts';
import { restrictCall, CONTACT_IGNORED_REASON } from './access.ts';
import { applySegmentEvent, type CallOutcome } from './apply.ts';
import type { WriteKeyKind } from './auth.ts';
import { eventBytes, MAX_BATCH_EVENTS, MAX_EVENT_BYTES } from './limits.ts';
import { SegmentRejection } from './profile.ts';
import { describeIssues, segmentEventSchema } from './schema.ts';

export interface IngestDeps {
  intake: Intake;
  driver: DriverDeps;
  /** Errors that are Herald's, not the sender's (logged; the call is reported as refused). */
  log: (error: unknown) => void;
}

export interface Rejected {
  /** Position in the batch (0 for a single call). */
  index: number;
  type?: string;
  messageId?: string;
  reason: string;
  /** `forbidden`: the call is well formed but its key may not make it (answered 403 when alone). */
  code?: 'forbidden';
}

/** An accepted call of which something was not applied: the fields dropped, or why no workflow started. */
export interface Ignored {
  index: number;
  type?: string;
  messageId?: string;
  /** The call's fields left out, as paths (`traits.email`). */
  fields?: string[];
  reason: string;
}

export type CallResult = { ok: true; outcome: CallOutcome; ignored?: Ignored } | { ok: false; rejected: Rejected };

/** What a batch may set for all of its calls: Segment merges the batch's `context` under each call's own. */
export interface BatchDefaults {
  context?: Record<string, unknown> | undefined;
  sentAt?: unknown;
}

/** Where a call sits: its index, when its request arrived, its batch's defaults (absent for a single call), and the kind of key that sent it. */
export interface CallPlace {
  index: number;
  receivedAt: number;
  defaults?: BatchDefaults;
  key: WriteKeyKind;
}

const WITHHELD_REASON =
  'the event was logged but started no workflow: with a browser write key (SEGMENT_BROWSER_WRITE_KEY) only workflows marked clientTriggerable start; send it with a server write key';

/** What the sender should know was left out of an accepted call. */
function ignoredOf(outcome: CallOutcome, fields: string[]): Pick<Ignored, 'fields' | 'reason'> | null {
  if (fields.length > 0) return { fields, reason: CONTACT_IGNORED_REASON };
  if (outcome.type === 'track' && outcome.withheld) return { reason: WITHHELD_REASON };
  return null;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function withDefaults(call: Record<string, unknown>, defaults: BatchDefaults): Record<string, unknown> {
  const context = defaults.context && isObject(call.context) ? { ...defaults.context, ...call.context } : (call.context ?? defaults.context);
  return {
    ...call,
    ...(context === undefined ? {} : { context }),
    ...(call.sentAt === undefined && defaults.sentAt !== undefined ? { sentAt: defaults.sentAt } : {}),
  };
}

function labelOf(call: Record<string, unknown>): Pick<Rejected, 'type' | 'messageId'> {
  return {
    ...(typeof call.type === 'string' ? { type: call.type } : {}),
    ...(typeof call.messageId === 'string' ? { messageId: call.messageId } : {}),
  };
}

/**
 * One call. Refusals (invalid, oversize, properties that do not fit the event's schema) come back as
 * `{ ok: false }`; a database outage is thrown, so the whole request fails with 503 and the sender retries
 * it (track calls already accepted are recognised by their messageId, the other calls are idempotent).
 */
export async function ingestCall(deps: IngestDeps, bundle: Bundle, raw: unknown, at: CallPlace): Promise<CallResult> {
  const { index } = at;
  if (!isObject(raw)) return { ok: false, rejected: { index, reason: 'a call must be a JSON object' } };
  const label = labelOf(raw);
  const refuse = (reason: string): CallResult => ({ ok: false, rejected: { index, ...label, reason } });
  // A single call's size is its request's (limited before parsing); a batched call's is its own JSON.
  if (at.defaults) {
    const bytes = eventBytes(raw);
    if (bytes > MAX_EVENT_BYTES) return refuse(`the call is ${bytes} bytes; the limit is ${MAX_EVENT_BYTES / 1024} KB per call`);
  }
  const parsed = segmentEventSchema.safeParse(at.defaults ? withDefaults(raw, at.defaults) : raw);
  if (!parsed.success) return refuse(describeIssues(parsed.error));
  const allowed = restrictCall(parsed.data, at.key);
  if (!allowed.ok) return { ok: false, rejected: { index, ...label, reason: allowed.reason, code: 'forbidden' } };
  try {
    const outcome = await deps.intake.grouped((tx) => applySegmentEvent(deps.driver, tx, allowed.event, { bundle, receivedAt: at.receivedAt, key: at.key }));
    const ignored = ignoredOf(outcome, allowed.ignored);
    return { ok: true, outcome, ...(ignored ? { ignored: { index, ...label, ...ignored } } : {}) };
  } catch (error) {
    if (error instanceof InvalidEventError || error instanceof SegmentRejection) return refuse(error.message);
    if (isConnectionError(error)) throw error;
    deps.log(error);
    return refuse('internal error while applying the call (logged by Herald)');
  }
}

/** Calls of different users in a batch are applied this many at a time; one user's calls stay in order. */
export const BATCH_LANES = 4;

/** The user a raw call is about, for ordering only (the schema checks it properly). */
function laneOf(call: unknown): string {
  if (!isObject(call)) return '';
  const id = call.userId ?? call.anonymousId;
  return typeof id === 'string' || typeof id === 'number' ? String(id) : '';
}

/**
 * A batch: each user's calls in the order sent (an identify before a track of the same user is in the
 * profile the track's workflow reads), different users' calls side by side. An alias involves two users,
 * so everything before it is applied first, then the alias, then what follows. Calls past Segment's 2,500
 * are refused as Segment does.
 */
export async function ingestBatch(
  deps: IngestDeps,
  bundle: Bundle,
  calls: unknown[],
  at: Omit<CallPlace, 'index'> & { defaults: BatchDefaults },
): Promise<CallResult[]> {
  const results: CallResult[] = new Array(calls.length);
  const apply = async (index: number) => {
    results[index] = await ingestCall(deps, bundle, calls[index], { ...at, index });
  };
  let lanes = new Map<string, number[]>();
  const drain = async () => {
    const queued = [...lanes.values()];
    lanes = new Map();
    // Settled, not raced: a lane that fails (database down) must not leave others running after the answer.
    const settled = await Promise.allSettled(
      Array.from({ length: Math.min(BATCH_LANES, queued.length) }, async () => {
        for (let lane = queued.shift(); lane; lane = queued.shift()) for (const index of lane) await apply(index);
      }),
    );
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
  };
  for (const [index, call] of calls.entries()) {
    if (index >= MAX_BATCH_EVENTS) {
      results[index] = { ok: false, rejected: { index, ...(isObject(call) ? labelOf(call) : {}), reason: `a batch holds at most ${MAX_BATCH_EVENTS} calls` } };
    } else if (isObject(call) && call.type === 'alias') {
      await drain();
      await apply(index);
    } else {
      const lane = laneOf(call);
      const queue = lanes.get(lane);
      if (queue) queue.push(index);
      else lanes.set(lane, [index]);
    }
  }
  await drain();
  return results;
}
