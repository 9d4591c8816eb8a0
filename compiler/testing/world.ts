/**
 * The simulator's driver: one user, one workflow, every run the scenario starts, a virtual clock and a timer
 * queue. It feeds facts to the pure engine (`createRun` / `advance`, nothing of the engine copied) and answers
 * each action the way the runtime's driver does (runtime/driver/process.ts), in memory: sends through the
 * in-memory providers, throttles and digests in shared stores, profile updates on the user snapshot.
 * Unlike `runtime/engine/simulate.ts`, which plays a whole script at once, time here moves only when asked,
 * so a scenario can look at the run between steps.
 */
import type { Bundle, JsonValue, Workflow } from '../bundle/schema.ts';
import { advance, createRun } from '../../runtime/engine/advance.ts';
import { setPath } from '../../runtime/engine/refs.ts';
import type { Action, Fact, RunState, UserSnapshot } from '../../runtime/engine/types.ts';
import { sendsAfter } from '../../runtime/driver/throttled.ts';
import { deliverInMemory, type SimMessage } from './deliver.ts';
import { formatOffset } from './offset.ts';
import { Digests, Throttles } from './stores.ts';
import { historyEntry, inputEntry, messageEntry, type Clock, type TimelineEntry } from './timeline.ts';

/** A run that never settles (a loop of zero-length waits) stops here instead of hanging the test. */
const MAX_FACTS = 100_000;

interface Timer {
  at: number;
  seq: number;
  run: string;
  token: string;
}

const FINISHED = new Set(['completed', 'cancelled', 'failed']);

export class World {
  readonly runs = new Map<string, RunState>();
  readonly messages: SimMessage[] = [];
  readonly timeline: TimelineEntry[] = [];
  readonly clock: Clock;
  now: number;
  private readonly timers: Timer[] = [];
  private readonly throttles = new Throttles();
  private readonly digests = new Digests();
  private seq = 0;
  private facts = 0;

  constructor(
    readonly bundle: Bundle,
    readonly workflow: Workflow,
    readonly startAt: number,
    public user: UserSnapshot,
    private readonly failing: ReadonlySet<string>,
  ) {
    this.now = startAt;
    this.clock = { ms: (epoch) => epoch - startAt, at: (epoch) => formatOffset(epoch - startAt) };
  }

  isActive(run: string): boolean {
    const state = this.runs.get(run);
    return state !== undefined && !FINISHED.has(state.status);
  }

  /** Creates a run of the workflow for the user and starts it now. */
  startRun(data: Record<string, JsonValue>): string {
    const runId = `run-${this.runs.size + 1}`;
    this.runs.set(runId, createRun({ runId, workflow: this.workflow, bundleVersion: this.bundle.version, userId: this.user.id, data }));
    this.feed(runId, { type: 'start', now: this.now });
    return runId;
  }

  /** Fires, in time order, every timer due up to `until` (epoch ms); the clock then reads `until`. */
  runUntil(until: number): void {
    for (;;) {
      let next = -1;
      for (let i = 0; i < this.timers.length; i++) {
        const t = this.timers[i]!;
        if (t.at > until) continue;
        const best = this.timers[next];
        if (!best || t.at < best.at || (t.at === best.at && t.seq < best.seq)) next = i;
      }
      if (next < 0) break;
      const [timer] = this.timers.splice(next, 1) as [Timer];
      this.now = Math.max(this.now, timer.at);
      if (this.isActive(timer.run)) this.feed(timer.run, { type: 'timer', now: this.now, token: timer.token });
    }
    this.now = Math.max(this.now, until);
  }

  /** Records something the scenario did, so the timeline tells the whole story. */
  note(run: string, input: Extract<TimelineEntry, { type: 'input' }>['input'], detail: string): void {
    this.timeline.push(inputEntry(run, this.clock, this.now, input, detail));
  }

  /** Feeds a fact to a run, then every reply its actions cause, in order (one job of the runtime's driver). */
  feed(run: string, first: Fact): void {
    const queue: Fact[] = [first];
    for (let fact = queue.shift(); fact; fact = queue.shift()) {
      if (++this.facts > MAX_FACTS) throw new Error(`the simulation exceeded ${MAX_FACTS} facts: the run does not settle`);
      const state = this.runs.get(run)!;
      const before = state.history.length;
      const result = advance(state, fact, this.bundle, { user: this.user });
      this.runs.set(run, result.state);
      for (const h of result.state.history.slice(before)) {
        const entry = historyEntry(h, run, this.workflow, this.clock);
        if (entry) this.timeline.push(entry);
        if (h.kind === 'throttle' && h.outcome === 'throttled') this.logThrottled(run, h.stepId, fact.now);
      }
      for (const action of result.actions) {
        const reply = this.answer(run, action, fact.now);
        if (reply) queue.push(reply);
      }
    }
  }

  private answer(run: string, action: Action, now: number): Fact | null {
    switch (action.type) {
      case 'schedule':
        this.timers.push({ at: action.at, seq: this.seq++, run, token: action.token });
        return null;
      case 'send': {
        const state = this.runs.get(run)!;
        const ctx = {
          bundle: this.bundle,
          run,
          data: state.data,
          digest: state.digest,
          user: this.user,
          failing: this.failing,
          ms: this.clock.ms(now),
          at: this.clock.at(now),
        };
        const { result, log } = deliverInMemory(ctx, action);
        this.log(log);
        return { type: 'sendResult', now, stepId: action.stepId, messages: result };
      }
      case 'throttle': {
        const { allowed, count } = this.throttles.pass(action.stepId, action.key, action.limit, action.windowMs, now);
        return { type: 'throttleResult', now, stepId: action.stepId, allowed, count };
      }
      case 'digestJoin':
        return { type: 'digestResult', now, stepId: action.stepId, role: this.digests.join(action.stepId, action.key, run, action.item) };
      case 'digestCollect':
        return { type: 'digestCollected', now, stepId: action.stepId, items: this.digests.collect(action.stepId, action.key) };
      case 'updateProfile': {
        const user = structuredClone(this.user);
        for (const [path, value] of Object.entries(action.set)) setPath(user as unknown as Record<string, JsonValue>, path, value);
        this.user = user;
        return null;
      }
      case 'finished':
        // Timers of a finished run are stale; dropping them keeps the queue to live runs.
        for (let i = this.timers.length - 1; i >= 0; i--) if (this.timers[i]!.run === run) this.timers.splice(i, 1);
        return null;
    }
  }

  /**
   * A throttled run ends before its sends; the runtime logs them as skipped with reason `throttled`
   * (runtime/driver/throttled.ts), so "why was nothing sent?" has an answer here too.
   */
  private logThrottled(run: string, throttleStep: string, now: number): void {
    const held = (sendsAfter(this.workflow.steps, throttleStep) ?? []).flatMap((send) =>
      (send.routing.method === 'all' ? send.routing.channels : send.routing.channels.slice(0, 1)).map(
        (channel): SimMessage => ({
          ms: this.clock.ms(now),
          at: this.clock.at(now),
          run,
          step: send.id,
          channel,
          template: send.template,
          status: 'skipped',
          provider: null,
          reason: 'throttled',
        }),
      ),
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
