/**
 * The in-memory driver: the pg-boss driver's counterpart in virtual time, for `herald/testing`, `herald replay`
 * and the engine's own tests. It feeds facts to the pure engine and carries out its actions through the same
 * `ActionHandlers` interface as the runtime (runtime/execution/batch.ts), with what the runtime keeps in
 * Postgres kept in memory: a clock and a timer queue, many users and their runs, throttle passes, open
 * digests, the sends frequency caps count, profiles, and a delivery that renders and fails over like the real one but sends nothing.
 *
 * The tools on top only choose what to watch (`observe`) and how sends turn out (`delivery`).
 */
import type { Bundle, Channel, JsonValue, Workflow } from '../../compiler/bundle/schema.ts';
import { workflowIndex } from '../../compiler/bundle/workflow-index.ts';
import {
  advance,
  type ActionHandlers,
  type ActionOf,
  type FetchOutcome,
  templateData,
  carryOut,
  createRun,
  type EngineResult,
  isFinished,
  type Fact,
  type FrequencyCap,
  type RunState,
  setPath,
  type TenantSnapshot,
  type UserSnapshot,
  withTenant,
} from '../engine/index.ts';
import { type DeliveredMessage, type DeliveryOptions, deliverInMemory } from './deliver.ts';
import { Digests, SentLog, type SharedKey, Throttles } from './stores.ts';
import { TimerQueue } from './timers.ts';

export interface MemoryRun<Meta = undefined> {
  readonly id: string;
  readonly workflow: Workflow;
  state: RunState;
  /** Whose throttles, digests, profile and active runs this run shares: the user, or the run itself when anonymous. */
  readonly audience: string;
  /** What the tool on top keeps about the run (the replay: the recorded event that started it). */
  readonly meta: Meta;
  /** The tenant the run sends for (a scenario's `tenant`): its defaults reach the engine, its brand the renders. */
  readonly tenant: TenantSnapshot | null;
}

export interface MemoryObserver<Meta> {
  /** After each fact: the engine's result (history entries from `historyBefore` on are new). */
  advanced?(run: MemoryRun<Meta>, fact: Fact, result: EngineResult, historyBefore: number): void;
  /** After each send: the messages it logged. */
  delivered?(run: MemoryRun<Meta>, messages: DeliveredMessage[], now: number): void;
  /** After a fact and every reply it caused: the run is at rest (waiting, or finished). */
  settled?(run: MemoryRun<Meta>): void;
}

export interface MemoryDriverOptions<Meta> {
  bundle: Bundle;
  /** Epoch ms the clock starts at. */
  now: number;
  delivery?: DeliveryOptions;
  observe?: MemoryObserver<Meta>;
  /** At most this many facts in all (a loop of zero-length waits would otherwise never end). */
  maxFacts?: number;
  /** How a run is named in errors. */
  describe?(run: MemoryRun<Meta>): string;
  /**
   * What a fetch step's request comes to (a scenario's `fetched` fixture, compiler/testing). Absent, or answering
   * undefined: `no_response`, which fails the step at once (then its `onError` applies). Nothing goes on the network.
   */
  fetch?(action: ActionOf<'fetch'>, run: { readonly id: string; readonly audience: string }): FetchOutcome | undefined;
}

/** One incoming fact and the replies it causes: more means a run that does not settle. */
const MAX_FACTS_PER_FEED = 10_000;

export class MemoryDriver<Meta = undefined> {
  readonly bundle: Bundle;
  now: number;
  /** Every run, in the order started (the replay forgets finished ones: `forget`). */
  readonly runs = new Map<string, MemoryRun<Meta>>();
  /** Profiles by audience. */
  private readonly users = new Map<string, UserSnapshot>();
  private readonly active = new Map<string, Set<string>>();
  private readonly timers = new TimerQueue();
  private readonly throttles = new Throttles();
  private readonly digests = new Digests();
  private readonly sent: SentLog;
  private readonly actions: ActionHandlers<MemoryRun<Meta>, Fact | null>;
  private facts = 0;

  private readonly options: MemoryDriverOptions<Meta>;

  constructor(options: MemoryDriverOptions<Meta>) {
    this.options = options;
    this.bundle = options.bundle;
    this.now = options.now;
    this.sent = new SentLog(options.bundle.settings.limits ?? []);
    const { timers, throttles, digests, sent, users } = this;
    const fetch = options.fetch ?? (() => undefined);
    this.actions = memoryActions({ timers, throttles, digests, sent, users, delivery: options.delivery ?? {}, fetch }, options.observe);
  }

  user(audience: string): UserSnapshot | undefined {
    return this.users.get(audience);
  }

  setUser(audience: string, user: UserSnapshot): void {
    this.users.set(audience, user);
  }

  isActive(runId: string): boolean {
    const run = this.runs.get(runId);
    return run !== undefined && !isFinished(run.state);
  }

  /** Creates a run of `workflow` for the audience (whose profile must be set) and starts it at `at`. */
  start(input: {
    runId: string;
    workflow: Workflow;
    audience: string;
    userId: string | null;
    data: Record<string, JsonValue>;
    meta: Meta;
    at?: number;
    tenant?: TenantSnapshot | null;
  }): MemoryRun<Meta> {
    const state = createRun({ runId: input.runId, workflow: input.workflow, bundleVersion: this.bundle.version, userId: input.userId, data: input.data });
    const run: MemoryRun<Meta> = { id: input.runId, workflow: input.workflow, state, audience: input.audience, meta: input.meta, tenant: input.tenant ?? null };
    this.runs.set(run.id, run);
    let mine = this.active.get(run.audience);
    if (!mine) this.active.set(run.audience, (mine = new Set()));
    mine.add(run.id);
    this.feed(run.id, { type: 'start', now: input.at ?? this.now });
    return run;
  }

  /**
   * Routes an event to the audience's runs that listen to it (its `cancelOn`, a `waitFor`), as the runtime
   * does: only runs active before the event. Starting the workflows it triggers is the caller's next step.
   */
  routeEvent(audience: string, event: string, data: Record<string, JsonValue>, at: number = this.now): void {
    const index = workflowIndex(this.bundle);
    for (const runId of [...(this.active.get(audience) ?? [])]) {
      const run = this.runs.get(runId);
      if (run && index.listensTo(run.workflow.id, event)) this.feed(runId, { type: 'event', now: at, event, data });
    }
  }

  /**
   * The audience's profile changed (it may have gained an address): its runs waiting for one are told, as the
   * runtime tells them after an identify or a profile update (intake/address-waits.ts).
   */
  profileChanged(audience: string, at: number = this.now): void {
    for (const runId of [...(this.active.get(audience) ?? [])]) {
      if (this.runs.get(runId)?.state.waiting?.kind === 'address') this.feed(runId, { type: 'profileChanged', now: at });
    }
  }

  /** The time of the earliest pending timer, if any. */
  nextTimerAt(): number | undefined {
    return this.timers.peek()?.at;
  }

  /** Fires the earliest timer (the clock moves to it); a timer of a finished run is dropped. */
  fireNextTimer(): void {
    const timer = this.timers.pop();
    if (!timer) return;
    this.now = Math.max(this.now, timer.at);
    if (this.isActive(timer.runId)) this.feed(timer.runId, { type: 'timer', now: this.now, token: timer.token });
  }

  /** Fires, in time order, every timer due up to `until` (epoch ms); the clock then reads `until`. */
  runUntil(until: number): void {
    for (let at = this.nextTimerAt(); at !== undefined && at <= until; at = this.nextTimerAt()) this.fireNextTimer();
    this.now = Math.max(this.now, until);
  }

  /** Drops a finished run (a replay of a busy day keeps only live runs in memory). */
  forget(runId: string): void {
    const run = this.runs.get(runId);
    if (!run) return;
    this.runs.delete(runId);
    this.active.get(run.audience)?.delete(runId);
  }

  /** Feeds a fact to a run, then every reply its actions cause, in order (one job of the runtime's driver). */
  feed(runId: string, first: Fact): void {
    const run = this.runs.get(runId);
    if (!run) throw new Error(`no run "${runId}"`);
    const queue: Fact[] = [first];
    let count = 0;
    for (let fact = queue.shift(); fact; fact = queue.shift()) {
      if (++count > MAX_FACTS_PER_FEED || ++this.facts > (this.options.maxFacts ?? Number.POSITIVE_INFINITY)) {
        throw new Error(
          `${this.options.describe?.(run) ?? `run "${run.id}" of "${run.workflow.id}"`} does not settle: more than ${count > MAX_FACTS_PER_FEED ? MAX_FACTS_PER_FEED : this.options.maxFacts} facts`,
        );
      }
      const before = run.state.history.length;
      // As the runtime's batch does: the user as a run of its tenant sees them (execution/batch.ts, withTenant).
      const result = advance(run.state, fact, this.bundle, { user: withTenant(this.users.get(run.audience)!, run.tenant) });
      run.state = result.state;
      this.options.observe?.advanced?.(run, fact, result, before);
      for (const action of result.actions) {
        const reply = carryOut(this.actions, run, action, fact.now);
        if (reply) queue.push(reply);
      }
    }
    if (isFinished(run.state)) this.active.get(run.audience)?.delete(run.id);
    this.options.observe?.settled?.(run);
  }
}

interface MemoryStores {
  timers: TimerQueue;
  throttles: Throttles;
  digests: Digests;
  sent: SentLog;
  users: Map<string, UserSnapshot>;
  delivery: DeliveryOptions;
  fetch(action: ActionOf<'fetch'>, run: { readonly id: string; readonly audience: string }): FetchOutcome | undefined;
}

/** What the runtime does with each action (runtime/execution/batch.ts), with shared state in memory. */
function memoryActions<Meta>(stores: MemoryStores, observe: MemoryObserver<Meta> | undefined): ActionHandlers<MemoryRun<Meta>, Fact | null> {
  const shared = (run: MemoryRun<Meta>, stepId: string, key: string): SharedKey => ({ workflow: run.workflow.id, stepId, audience: run.audience, key });
  return {
    schedule(run, action) {
      stores.timers.push({ at: action.at, runId: run.id, token: action.token });
      return null;
    },
    send(run, action, now) {
      const user = stores.users.get(run.audience)!;
      // Caps count per user, as the runtime counts its message log by user id: a run without one is not capped.
      const frequency =
        stores.sent.counting && run.state.userId !== null
          ? {
              counts: (caps: readonly FrequencyCap[]) => stores.sent.counts(run.audience, caps, now),
              sent: (channel: Channel) => stores.sent.record(run.audience, channel, action.category, now),
            }
          : undefined;
      const ctx = {
        runId: run.id,
        data: templateData(run.state),
        digest: run.state.digest,
        user: withTenant(user, run.tenant),
        tenant: run.tenant,
        now,
        ...(frequency ? { frequency } : {}),
      };
      const { result, logged } = deliverInMemory(stores.delivery, ctx, action);
      observe?.delivered?.(run, logged, now);
      return { type: 'sendResult', now, stepId: action.stepId, messages: result };
    },
    throttle(run, action, now) {
      const { allowed, count } = stores.throttles.pass(shared(run, action.stepId, action.key), action.limit, action.windowMs, now);
      return { type: 'throttleResult', now, stepId: action.stepId, allowed, count };
    },
    digestJoin(run, action, now) {
      const role = stores.digests.join(shared(run, action.stepId, action.key), run.id, action.item);
      return { type: 'digestResult', now, stepId: action.stepId, role };
    },
    digestCollect(run, action, now) {
      return { type: 'digestCollected', now, stepId: action.stepId, items: stores.digests.collect(shared(run, action.stepId, action.key)) };
    },
    updateProfile(run, action) {
      // A new snapshot, not an edit: what a tool kept of the old one (a timeline entry) stays as it was.
      const user = structuredClone(stores.users.get(run.audience)!);
      for (const [path, value] of Object.entries(action.set)) setPath(user as unknown as Record<string, JsonValue>, path, value);
      stores.users.set(run.audience, user);
      return null;
    },
    fetch(run, action, now) {
      const outcome: FetchOutcome = stores.fetch(action, run) ?? {
        kind: 'error',
        error: 'no_response',
        message: `no response given for fetch "${action.stepId}" (a scenario's fetched: { ${action.stepId}: … })`,
      };
      return { type: 'fetchResult', now, stepId: action.stepId, attempt: action.attempt, outcome };
    },
    finished() {
      return null;
    },
  };
}
