/**
 * The simulator's world: one user, one workflow, every run the scenario starts, on the in-memory driver
 * (runtime/memory-driver: the clock, timers, throttles, digests and delivery the runtime keeps in Postgres).
 * This file keeps only what a scenario reads back: the messages, and a timeline of what happened in words.
 * Unlike the script simulator (runtime/memory-driver/simulate.ts), time moves only when asked, so a scenario
 * can look at the run between steps.
 */
import { heldByThrottle } from '../bundle/walk.ts';
import type { Bundle, JsonValue, Workflow } from '../bundle/schema.ts';
import type { Fact, RunState, TenantSnapshot, UserSnapshot } from '../../runtime/engine/index.ts';
import { MemoryDriver, type MemoryRun } from '../../runtime/memory-driver/index.ts';
import { inMemoryRenderer } from '../preview/render-in-memory.ts';
import { DEFAULT_PUBLIC_URL } from '../preview/builtins.ts';
import { simMessage, type SimMessage } from './messages.ts';
import { formatOffset } from './offset.ts';
import { historyEntry, inputEntry, messageEntry, type Clock, type TimelineEntry } from './timeline.ts';

/** A run that never settles (a loop of zero-length waits) stops here instead of hanging the test. */
const MAX_FACTS = 100_000;

/** The simulated user's runs share one audience, as one user's runs share theirs on the runtime. */
const AUDIENCE = 'user';

export class World {
  readonly messages: SimMessage[] = [];
  readonly timeline: TimelineEntry[] = [];
  readonly clock: Clock;
  private readonly driver: MemoryDriver;

  readonly bundle: Bundle;

  readonly workflow: Workflow;

  readonly startAt: number;

  /** The tenant every run sends for (a scenario's `tenant`), or null. */
  readonly tenant: TenantSnapshot | null;

  constructor(
    bundle: Bundle,
    workflow: Workflow,
    startAt: number,
    user: UserSnapshot,
    failing: ReadonlySet<string>,
    tenant: TenantSnapshot | null = null,
    fetched: Readonly<Record<string, JsonValue>> = {},
  ) {
    this.bundle = bundle;

    this.workflow = workflow;

    this.startAt = startAt;
    this.tenant = tenant;
    const clock: Clock = { ms: (epoch) => epoch - startAt, at: (epoch) => formatOffset(epoch - startAt) };
    this.clock = clock;
    const when = (now: number) => ({ ms: clock.ms(now), at: clock.at(now) });
    this.driver = new MemoryDriver({
      bundle,
      now: startAt,
      maxFacts: MAX_FACTS,
      // A scenario's `fetched` answers its fetch steps; a step id in `fail` answers 503 (retried, then its onError).
      fetch: (action) =>
        failing.has(action.stepId)
          ? { kind: 'response', status: 503, body: 'failed by the scenario' }
          : Object.hasOwn(fetched, action.stepId)
            ? { kind: 'response', status: 200, body: JSON.stringify(fetched[action.stepId]) }
            : undefined,
      delivery: {
        render: inMemoryRenderer({ bundle, publicUrl: DEFAULT_PUBLIC_URL, clock: clock.ms }),
        // Provider ids or channel names that fail every attempt.
        attempt: ({ provider, channel }) => (failing.has(provider) || failing.has(channel) ? 'failed' : 'sent'),
      },
      observe: {
        advanced: (run, fact, result, before) => {
          for (const h of result.state.history.slice(before)) {
            const entry = historyEntry(h, run.id, workflow, clock);
            if (entry) this.timeline.push(entry);
            if (h.kind === 'throttle' && h.outcome === 'throttled') this.logThrottled(run, h.stepId, fact.now);
          }
        },
        delivered: (run, logged, now) => this.log(logged.map((m) => simMessage(run.id, when(now), m))),
      },
    });
    this.driver.setUser(AUDIENCE, user);
  }

  get now(): number {
    return this.driver.now;
  }

  get user(): UserSnapshot {
    return this.driver.user(AUDIENCE)!;
  }

  set user(user: UserSnapshot) {
    this.driver.setUser(AUDIENCE, user);
  }

  /** The profile changes now: a send waiting for an address it gained goes on, as on the runtime. */
  updateProfile(user: UserSnapshot): void {
    this.driver.setUser(AUDIENCE, user);
    this.driver.profileChanged(AUDIENCE);
  }

  /** Every run so far, in the order started. */
  runIds(): string[] {
    return [...this.driver.runs.keys()];
  }

  /** A run's engine state (undefined for a run that does not exist). */
  runState(run: string): RunState | undefined {
    return this.driver.runs.get(run)?.state;
  }

  /** Creates a run of the workflow for the user and starts it now. */
  startRun(data: Record<string, JsonValue>): string {
    const runId = `run-${this.driver.runs.size + 1}`;
    this.driver.start({ runId, workflow: this.workflow, audience: AUDIENCE, userId: this.user.id, data, meta: undefined, tenant: this.tenant });
    return runId;
  }

  /** Routes the user's event to their runs that listen to it, as the runtime does. */
  routeEvent(name: string, data: Record<string, JsonValue>): void {
    this.driver.routeEvent(AUDIENCE, name, data);
  }

  /** Fires, in time order, every timer due up to `until` (epoch ms); the clock then reads `until`. */
  runUntil(until: number): void {
    this.driver.runUntil(until);
  }

  /** Records something the scenario did, so the timeline tells the whole story. */
  note(run: string, input: Extract<TimelineEntry, { type: 'input' }>['input'], detail: string): void {
    this.timeline.push(inputEntry(run, this.clock, this.now, input, detail));
  }

  /** Feeds a fact to a run, then every reply its actions cause, in order (one job of the runtime's driver). */
  feed(run: string, fact: Fact): void {
    this.driver.feed(run, fact);
  }

  /**
   * A throttled run ends before its sends; the runtime logs them as skipped with reason `throttled`, so "why
   * was nothing sent?" has an answer here too.
   */
  private logThrottled(run: MemoryRun, throttleStep: string, now: number): void {
    const held = heldByThrottle(run.workflow.steps, throttleStep).map(
      ({ send, channel }): SimMessage => ({
        ms: this.clock.ms(now),
        at: this.clock.at(now),
        run: run.id,
        step: send.id,
        channel,
        template: send.template,
        status: 'skipped',
        provider: null,
        reason: 'throttled',
      }),
    );
    this.log(held);
  }

  private log(messages: SimMessage[]): void {
    for (const m of messages) {
      this.messages.push(m);
      this.timeline.push(messageEntry(m));
    }
  }
}
