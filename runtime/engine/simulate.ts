/**
 * A driver in virtual time, for tests and `herald test`: runs one workflow for one user with no database.
 * It answers the engine's actions the way the real driver would (sends succeed unless `deliver` says
 * otherwise, throttles count in virtual time, the run owns its digest) and fires timers in time order.
 */
import { copy } from './copy.ts';
import type { Bundle, Channel, JsonValue } from '../../compiler/bundle/schema.ts';
import { advance, createRun } from './advance.ts';
import { setPath } from './refs.ts';
import type { Action, Fact, RunState, SentMessage, UserSnapshot } from './types.ts';

/** A fact without its time: the simulator stamps it. */
export type FactInput = Fact extends infer F ? (F extends Fact ? Omit<F, 'now'> : never) : never;

/** `at` is milliseconds after the trigger. */
export type ScriptEntry =
  | { at: number; fact: FactInput }
  /** Change the profile (e.g. add a phone number) from this moment on. */
  | { at: number; user: Partial<UserSnapshot> }
  /** The user shows activity (sets `lastActiveAt`). */
  | { at: number; active: true };

export interface SimulateInput {
  bundle: Bundle;
  workflowId: string;
  data?: Record<string, JsonValue>;
  /** Missing fields default to: id 'user-1', no addresses, no traits, never active, no preferences. */
  user?: Partial<UserSnapshot>;
  script?: ScriptEntry[];
  /** Epoch ms of the trigger (default 0); matters for send windows. */
  startAt?: number;
  runId?: string;
  /** Provider outcome per attempt (default: every attempt is sent). */
  deliver?: (attempt: { stepId: string; channel: Channel; provider: string; at: number }) => 'sent' | 'failed';
  /** Stop after this many ms past the trigger, even if timers remain. */
  until?: number;
}

export type TimelineEntry = { at: number; fact: Fact } | { at: number; action: Action };

export interface SimMessage {
  at: number;
  stepId: string;
  template: string;
  channel: Channel;
  provider: string | null;
  status: SentMessage['status'];
  reason?: string;
}

export interface SimulateResult {
  state: RunState;
  timeline: TimelineEntry[];
  /** Every message the driver would log: sent, failed attempts, and channels skipped before any provider call. */
  messages: SimMessage[];
  user: UserSnapshot;
}

type Pending = { at: number; order: number; entry: ScriptEntry } | { at: number; order: number; token: string };

const MAX_FACTS = 10_000;

export function simulate(input: SimulateInput): SimulateResult {
  const { bundle, startAt = 0 } = input;
  const workflow = bundle.workflows[input.workflowId];
  if (!workflow) throw new Error(`no workflow "${input.workflowId}" in the bundle; it has: ${Object.keys(bundle.workflows).join(', ')}`);
  let user: UserSnapshot = { id: 'user-1', traits: {}, lastActiveAt: null, preferences: {}, ...copy(input.user ?? {}) };
  let state = createRun({ runId: input.runId ?? 'sim-run', workflow, bundleVersion: bundle.version, userId: user.id, data: input.data ?? {} });
  const timeline: TimelineEntry[] = [];
  const messages: SimMessage[] = [];
  const throttles = new Map<string, number[]>();
  const digests = new Map<string, JsonValue[]>();
  let order = 0;
  const pending: Pending[] = (input.script ?? []).map((entry) => ({ at: entry.at, order: order++, entry }));
  let facts = 0;

  const rel = (now: number) => now - startAt;

  /** Feeds a fact and every immediate reply it causes, in order. */
  function feed(first: Fact): void {
    const queue: Fact[] = [first];
    for (let fact = queue.shift(); fact; fact = queue.shift()) {
      if (++facts > MAX_FACTS) throw new Error(`simulation exceeded ${MAX_FACTS} facts: the run does not settle`);
      timeline.push({ at: rel(fact.now), fact });
      const result = advance(state, fact, bundle, { user });
      state = result.state;
      for (const action of result.actions) {
        timeline.push({ at: rel(fact.now), action });
        const reply = answer(action, fact.now);
        if (reply) queue.push(reply);
      }
    }
  }

  /** What the real driver does with each action, reduced to memory. */
  function answer(action: Action, now: number): Fact | null {
    switch (action.type) {
      case 'schedule':
        pending.push({ at: action.at - startAt, order: order++, token: action.token });
        return null;
      case 'send':
        return { type: 'sendResult', now, stepId: action.stepId, messages: deliverSend(action, now) };
      case 'throttle': {
        const passes = (throttles.get(action.key) ?? []).filter((t) => t > now - action.windowMs);
        const allowed = passes.length < action.limit;
        if (allowed) passes.push(now);
        throttles.set(action.key, passes);
        return { type: 'throttleResult', now, stepId: action.stepId, allowed, count: passes.length };
      }
      case 'digestJoin': {
        const key = `${action.stepId}/${action.key}`;
        const role = digests.has(key) ? 'joined' : 'owner';
        digests.set(key, [...(digests.get(key) ?? []), action.item]);
        return { type: 'digestResult', now, stepId: action.stepId, role };
      }
      case 'digestCollect': {
        const key = `${action.stepId}/${action.key}`;
        const items = digests.get(key) ?? [];
        digests.delete(key);
        return { type: 'digestCollected', now, stepId: action.stepId, items };
      }
      case 'updateProfile':
        for (const [path, value] of Object.entries(action.set)) setPath(user as unknown as Record<string, JsonValue>, path, value);
        return null;
      case 'finished':
        return null;
    }
  }

  function deliverSend(action: Extract<Action, { type: 'send' }>, now: number): SentMessage[] {
    const out: SentMessage[] = [];
    const log = (channel: Channel, provider: string | null, status: SentMessage['status'], reason?: string) => {
      out.push({ messageId: `${state.runId}:${action.stepId}:${channel}`, channel, status, ...(reason === undefined ? {} : { reason }) });
      messages.push({ at: rel(now), stepId: action.stepId, template: action.template, channel, provider, status, ...(reason === undefined ? {} : { reason }) });
    };
    for (const skip of action.skipped) log(skip.channel, null, 'skipped', skip.reason);
    for (const candidate of action.candidates) {
      let sent = false;
      for (const provider of candidate.providers) {
        const outcome = input.deliver?.({ stepId: action.stepId, channel: candidate.channel, provider, at: rel(now) }) ?? 'sent';
        if (outcome === 'sent') {
          log(candidate.channel, provider, 'sent');
          sent = true;
          break;
        }
        log(candidate.channel, provider, 'failed', 'provider_error');
      }
      if (sent && action.method === 'single') break;
    }
    return out;
  }

  feed({ type: 'start', now: startAt });
  while (state.status === 'running' || state.status === 'waiting') {
    // Earliest first; at the same instant, script entries (in their order) before timers.
    pending.sort((a, b) => a.at - b.at || Number('token' in a) - Number('token' in b) || a.order - b.order);
    const next = pending.shift();
    if (!next || (input.until !== undefined && next.at > input.until)) break;
    const now = startAt + next.at;
    if ('token' in next) {
      feed({ type: 'timer', now, token: next.token });
    } else if ('fact' in next.entry) {
      feed({ ...next.entry.fact, now } as Fact);
    } else if ('user' in next.entry) {
      user = { ...user, ...copy(next.entry.user) };
    } else {
      user = { ...user, lastActiveAt: now };
    }
  }
  return { state, timeline, messages, user };
}
