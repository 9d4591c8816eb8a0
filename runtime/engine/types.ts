/**
 * The pure engine's contract: state + bundle + fact (+ a read-only snapshot of the user) → next state +
 * actions. No clocks, queues or databases: time arrives inside facts (`now`, epoch ms), and everything the
 * engine needs to know about the world arrives in `EngineContext`. The pg-boss driver and the virtual-time
 * simulator both drive this same engine.
 */
import type { Channel, EngagementKind, FrequencyLimit, JsonValue } from '../../compiler/bundle/schema.ts';

export type { Channel, EngagementKind, JsonValue };

/** A point in the workflow: the index path through nested step lists (branch arms). */
export interface Cursor {
  /** Each frame: the step list (`root`, or `<branchStepId>#<armIndex>`, or `<branchStepId>#otherwise`) and the index in it. */
  frames: { list: string; index: number }[];
}

export type RunStatus = 'running' | 'waiting' | 'completed' | 'cancelled' | 'failed';

/** `address`: a send with no address to send to waits a grace for the profile to get one (address.ts). */
export type WaitKind = 'delay' | 'waitFor' | 'digest' | 'window' | 'send' | 'throttle' | 'address' | 'fetch';

export interface Waiting {
  stepId: string;
  kind: WaitKind;
  /** For timers: the epoch ms at which the driver must deliver `{ type: 'timer', token }`. */
  until?: number;
  /** Identifies the timer; a timer fact with another token is stale and ignored (e.g. a wait already satisfied). */
  token?: string;
  /**
   * For waits on the driver: the fact type that resumes the run (a digest waits for two in turn). A fetch waits
   * for it and for a timer at once (the timer counts a lost answer as a failed attempt).
   */
  reply?: 'sendResult' | 'throttleResult' | 'digestResult' | 'digestCollected' | 'fetchResult';
  /** A fetch's attempt (1, 2, 3): waiting for its answer, or, on a retry's timer, the attempt that failed. */
  attempt?: number;
}

export interface HistoryEntry {
  at: number;
  stepId: string;
  kind: string;
  /** Short machine word: `sent`, `skipped`, `waiting`, `timeout`, `matched`, `branch`, `cancelled`, … */
  outcome: string;
  /** Why: the condition values that decided a branch, the window's next opening, the throttle count. */
  detail?: Record<string, JsonValue>;
}

/** A message produced by a send step, as reported back by the driver. */
export interface SentMessage {
  messageId: string;
  channel: Channel;
  status: 'sent' | 'skipped' | 'failed' | 'queued';
  reason?: string;
  /** Why the driver skipped it (a frequency cap: `{ cap, count }`); the engine's own skips are in the `dispatched` history. */
  detail?: Record<string, JsonValue>;
}

export interface RunState {
  runId: string;
  workflowId: string;
  bundleVersion: string;
  userId: string | null;
  /** The trigger's data (event properties). */
  data: Record<string, JsonValue>;
  status: RunStatus;
  cursor: Cursor;
  waiting: Waiting | null;
  /** Send step id → the messages it produced. */
  sends: Record<string, SentMessage[]>;
  /** Send step id → engagement kinds seen on any of its messages (kept even when they arrive before a wait). */
  engagements: Record<string, EngagementKind[]>;
  /**
   * Named events seen by this run since it started (for waitFor event arriving early). `matched`: the keyed
   * waits (step ids) whose match the event held, present only when the workflow has keyed waits for it.
   */
  events: { event: string; at: number; matched?: string[] }[];
  /**
   * Fetch step id → its validated answer (`fetched.<id>.…`), recorded once: a step whose answer is here never
   * fetches again. Absent in runs that fetched nothing (and in states saved before fetch steps existed).
   */
  fetched?: Record<string, JsonValue>;
  /** Filled when a digest step closes: the collected trigger data. */
  digest: DigestSummary | null;
  history: HistoryEntry[];
  /** Monotonic counter used to make timer tokens unique within the run. */
  seq: number;
}

/**
 * A closed digest as later steps and templates see it: `count` events gathered, `items` the data of the oldest
 * of them (all, or the step's `maxItems`), `omitted` how many were left out of `items`. Runs that collected
 * before `omitted` existed have none: read it as 0.
 */
export interface DigestSummary {
  count: number;
  items: JsonValue[];
  omitted?: number;
}

/** What the driver knows about the recipient when it feeds a fact. Read-only for the engine. */
export interface UserSnapshot {
  id: string | null;
  email?: string | null;
  phone_number?: string | null;
  push_tokens?: string[];
  locale?: string | null;
  timezone?: string | null;
  traits: Record<string, JsonValue>;
  /** Epoch ms of the last sign of activity (heartbeat, inbox stream, page/screen), or null. */
  lastActiveAt: number | null;
  /** `category` → `channel` → opted in? Missing entries fall back to the category's default channels. */
  preferences: Record<string, Partial<Record<Channel, boolean>>>;
  /**
   * The defaults of the run's tenant (runtime/tenants), the same shape: between the category's default channels
   * and the user's own choice. Absent: the run has no tenant, or its tenant sets none.
   */
  tenantPreferences?: Record<string, Partial<Record<Channel, boolean>>>;
  /** SMS opt-out by keyword (STOP): never send SMS. */
  smsOptOut?: boolean;
}

export interface EngineContext {
  user: UserSnapshot;
}

export type Fact =
  | { type: 'start'; now: number }
  | { type: 'timer'; now: number; token: string }
  | { type: 'engagement'; now: number; stepId: string; kind: EngagementKind }
  | { type: 'event'; now: number; event: string; data?: Record<string, JsonValue> }
  | { type: 'sendResult'; now: number; stepId: string; messages: SentMessage[] }
  | { type: 'throttleResult'; now: number; stepId: string; allowed: boolean; count: number }
  | { type: 'digestResult'; now: number; stepId: string; role: 'owner' | 'joined' }
  | { type: 'digestCollected'; now: number; stepId: string; items: JsonValue[] }
  | { type: 'cancel'; now: number; reason: string }
  /** The user's profile changed (an address may have come): a send waiting for one re-plans now. */
  | { type: 'profileChanged'; now: number }
  /** What a `fetch` action's request came to (the driver performed it): the engine judges, retries, records. */
  | { type: 'fetchResult'; now: number; stepId: string; attempt: number; outcome: FetchOutcome };

/**
 * A fetch as the driver saw it: an HTTP answer (its body as text, cut at the driver's size limit), or no answer.
 * `refused`: the outbound guard would not connect (SSRF rules); `no_response`: a scenario gave no fixture.
 */
export type FetchOutcome =
  /** `retryAfterMs`: the server's pause hint (Retry-After) on an error status, read by the driver. */
  | { kind: 'response'; status: number; body: string; retryAfterMs?: number }
  | { kind: 'error'; error: 'timeout' | 'network' | 'refused' | 'too_large' | 'no_response'; message: string };

/** A channel the send may use, in order, with the providers to try on it in failover order. */
export interface SendCandidate {
  channel: Channel;
  providers: string[];
  /**
   * The frequency caps a message on this channel counts against (caps.ts); absent when none applies. The
   * driver counts the user's recent sends for each and skips the channel when one is reached.
   */
  caps?: FrequencyCap[];
}

/** A frequency cap of the bundle (`settings.limits`) as a send carries it, with its name for logs (`sms 3/1d`). */
export interface FrequencyCap extends FrequencyLimit {
  name: string;
}

export type Action =
  /** Deliver `{ type: 'timer', token }` at `at` (epoch ms), durably (a pg-boss deferred job). */
  | { type: 'schedule'; at: number; token: string; stepId: string }
  /**
   * Render `template` and deliver it: `single` → try candidates in order until one is sent; `all` → each.
   * `skipped` lists channels ruled out before any provider call (preference, no address, opted out), to be
   * logged as messages with status `skipped`. Reply with a `sendResult` fact.
   */
  | {
      type: 'send';
      stepId: string;
      template: string;
      method: 'single' | 'all';
      candidates: SendCandidate[];
      skipped: { channel: Channel; reason: string; detail?: Record<string, JsonValue> }[];
      category: string | null;
      critical: boolean;
    }
  /** Atomically count passes of this throttle for (user, key) in the window; reply `throttleResult`. */
  | { type: 'throttle'; stepId: string; key: string; limit: number; windowMs: number }
  /**
   * Join or open the digest for (workflow, step, user, key); reply `digestResult`. `windowMs` is the window of a
   * window digest (absent for a scheduled one), for the driver's information: the owner's timer closes it.
   */
  | { type: 'digestJoin'; stepId: string; key: string; windowMs?: number; item: JsonValue }
  /** Close the digest this run owns; reply `digestCollected` with every joined item (including its own). */
  | { type: 'digestCollect'; stepId: string; key: string }
  /** Apply to the user's profile: dot path → value (already resolved). */
  | { type: 'updateProfile'; stepId: string; set: Record<string, JsonValue> }
  /**
   * GET `url` (already rendered) with `headers` (a literal, or an environment variable's name for the driver to read;
   * never logged), each attempt within `timeoutMs`; reply `fetchResult` with the same `attempt`.
   */
  | {
      type: 'fetch';
      stepId: string;
      attempt: number;
      url: string;
      headers: Record<string, { value: string } | { env: string }>;
      timeoutMs: number;
    }
  /** The run ended (completed, cancelled or failed): release anything held for it. */
  | { type: 'finished'; status: 'completed' | 'cancelled' | 'failed'; reason?: string };

export interface EngineResult {
  state: RunState;
  actions: Action[];
}
