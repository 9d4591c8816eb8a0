/**
 * `simulate(...)`: one workflow for one user, played from a script in virtual time, on the in-memory driver —
 * the engine's own tests and benchmarks use it. Sends succeed unless `deliver` says otherwise (providers, then
 * channels, fail over in order); at the same instant, script entries run before timers.
 */
import type { Bundle, Channel, JsonValue } from '../../compiler/bundle/schema.ts';
import { type Action, type Fact, isFinished, type RunState, type SentMessage, type UserSnapshot } from '../engine/index.ts';
import { MemoryDriver } from './driver.ts';

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

/** One provider attempt (or a channel skipped before any): a failed attempt is its own entry. */
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

const MAX_FACTS = 10_000;
const AUDIENCE = 'user';

export function simulate(input: SimulateInput): SimulateResult {
  const { bundle, startAt = 0 } = input;
  const workflow = bundle.workflows[input.workflowId];
  if (!workflow) throw new Error(`no workflow "${input.workflowId}" in the bundle; it has: ${Object.keys(bundle.workflows).join(', ')}`);
  const rel = (now: number) => now - startAt;
  const timeline: TimelineEntry[] = [];
  const messages: SimMessage[] = [];
  const deliver = input.deliver;
  const driver = new MemoryDriver({
    bundle,
    now: startAt,
    maxFacts: MAX_FACTS,
    delivery: deliver ? { attempt: ({ stepId, channel, provider, now }) => deliver({ stepId, channel, provider, at: rel(now) }) } : {},
    observe: {
      advanced(_run, fact, result) {
        timeline.push({ at: rel(fact.now), fact });
        for (const action of result.actions) timeline.push({ at: rel(fact.now), action });
      },
      delivered(_run, logged, now) {
        for (const m of logged) {
          const base = { at: rel(now), stepId: m.stepId, template: m.template, channel: m.channel };
          if (m.status === 'skipped') messages.push({ ...base, provider: null, status: 'skipped', ...(m.reason === undefined ? {} : { reason: m.reason }) });
          for (const attempt of m.attempts) {
            messages.push(
              attempt.outcome === 'sent'
                ? { ...base, provider: attempt.provider, status: 'sent' }
                : { ...base, provider: attempt.provider, status: 'failed', reason: 'provider_error' },
            );
          }
        }
      },
    },
  });
  const userId = input.user?.id === undefined ? 'user-1' : input.user.id;
  driver.setUser(AUDIENCE, { id: 'user-1', traits: {}, lastActiveAt: null, preferences: {}, ...structuredClone(input.user ?? {}) });
  const run = driver.start({ runId: input.runId ?? 'sim-run', workflow, audience: AUDIENCE, userId, data: input.data ?? {}, meta: undefined });

  const script = [...(input.script ?? [])].sort((a, b) => a.at - b.at);
  let next = 0;
  while (!isFinished(run.state)) {
    const entry = script[next];
    const timerAt = driver.nextTimerAt();
    // Earliest first; at the same instant, script entries (in their order) before timers.
    const entryFirst = entry !== undefined && (timerAt === undefined || startAt + entry.at <= timerAt);
    const at = entryFirst ? entry.at : timerAt === undefined ? undefined : timerAt - startAt;
    if (at === undefined || (input.until !== undefined && at > input.until)) break;
    if (!entryFirst) {
      driver.fireNextTimer();
      continue;
    }
    next++;
    const now = startAt + entry.at;
    driver.now = Math.max(driver.now, now);
    if ('fact' in entry) driver.feed(run.id, { ...entry.fact, now } as Fact);
    else if ('user' in entry) {
      driver.setUser(AUDIENCE, { ...driver.user(AUDIENCE)!, ...structuredClone(entry.user) });
      driver.profileChanged(AUDIENCE);
    } else driver.setUser(AUDIENCE, { ...driver.user(AUDIENCE)!, lastActiveAt: now });
  }
  return { state: run.state, timeline, messages, user: driver.user(AUDIENCE)! };
}
