/**
 * Replays recorded events under one bundle, in virtual time, through the pure engine (`advance`): the same
 * engine the runtime's driver and `simulate()` drive. simulate() runs one workflow for one user, while a
 * replay must let runs meet as they do in production: a later event cancels or wakes the user's earlier
 * runs, a throttle counts across the user's runs, a digest gathers them into one. So this driver keeps
 * simulate's answers (sends succeed, timers fire in time order) and shares, per user, what the runtime's
 * driver shares through Postgres: throttle passes, open digests, the profile, the set of active runs.
 */
import type { Bundle, Channel, JsonValue, Workflow } from '../bundle/schema.ts';
import { advance, createRun } from '../../runtime/engine/advance.ts';
import { setPath } from '../../runtime/engine/refs.ts';
import type { Action, Fact, RunState, RunStatus, SentMessage, UserSnapshot } from '../../runtime/engine/types.ts';
import { sendsAfter } from '../../runtime/driver/throttled.ts';
import type { SmsSegments } from '../../runtime/render/index.ts';
import { eventValidator } from '../../runtime/validate.ts';
import { publicUrlFromEnv, uuidLike } from '../preview/builtins.ts';
import { renderForReplay } from './content.ts';
import type { RecordedEvent } from './events.ts';
import { assumedProfile } from './profile.ts';
import { TimerQueue } from './timers.ts';

/** The recorded event that started a run. */
export interface Trigger {
  line: number;
  event: string;
  userId: string | null;
  messageId: string | null;
}

export interface ReplayMessage {
  trigger: Trigger;
  workflow: string;
  stepId: string;
  template: string;
  channel: Channel;
  status: 'sent' | 'skipped' | 'failed';
  /** Why skipped or failed: `preference`, `no_address`, `throttled`, `render_error`, … */
  reason: string | null;
  /** Virtual time of the send, epoch ms. */
  at: number;
  /** For sent SMS: what the carrier would bill. */
  sms: SmsSegments | null;
}

export interface ReplayResult {
  bundleVersion: string;
  /** Events whose properties the bundle's event schema refuses: the runtime would answer 400 and start nothing. */
  rejected: { line: number; event: string; reason: string }[];
  runsStarted: Record<string, number>;
  runsEnded: Partial<Record<RunStatus, number>>;
  messages: ReplayMessage[];
}

interface LiveRun {
  state: RunState;
  workflow: Workflow;
  /** Whose throttles, digests, profile and active runs this run shares: the user, or itself when anonymous. */
  audience: string;
  trigger: Trigger;
}

/** Guards against a run that never settles (one event's facts, replies included). */
const MAX_FACTS_PER_FEED = 10_000;

export function replayEvents(bundle: Bundle, events: RecordedEvent[], options: { publicUrl?: string } = {}): ReplayResult {
  const publicUrl = options.publicUrl ?? publicUrlFromEnv();
  const result: ReplayResult = { bundleVersion: bundle.version, rejected: [], runsStarted: {}, runsEnded: {}, messages: [] };
  const runs = new Map<string, LiveRun>();
  const active = new Map<string, Set<string>>();
  const users = new Map<string, UserSnapshot>();
  const throttles = new Map<string, number[]>();
  const digests = new Map<string, JsonValue[]>();
  const timers = new TimerQueue();
  let ids = 0;

  const sharedKey = (run: LiveRun, stepId: string, key: string) => `${run.workflow.id}\0${stepId}\0${run.audience}\0${key}`;

  function feed(run: LiveRun, first: Fact): void {
    const queue: Fact[] = [first];
    let count = 0;
    for (let fact = queue.shift(); fact; fact = queue.shift()) {
      if (++count > MAX_FACTS_PER_FEED) throw new Error(`run of "${run.workflow.id}" (event line ${run.trigger.line}) does not settle`);
      const step = advance(run.state, fact, bundle, { user: users.get(run.audience)! });
      run.state = step.state;
      for (const action of step.actions) {
        const reply = answer(run, action, fact.now);
        if (reply) queue.push(reply);
      }
    }
    const status = run.state.status;
    if (status === 'completed' || status === 'cancelled' || status === 'failed') {
      runs.delete(run.state.runId);
      active.get(run.audience)?.delete(run.state.runId);
      result.runsEnded[status] = (result.runsEnded[status] ?? 0) + 1;
    }
  }

  /** What the runtime's driver does with each action, with shared state in memory instead of Postgres. */
  function answer(run: LiveRun, action: Action, now: number): Fact | null {
    switch (action.type) {
      case 'schedule':
        timers.push({ at: action.at, runId: run.state.runId, token: action.token });
        return null;
      case 'send':
        return { type: 'sendResult', now, stepId: action.stepId, messages: deliver(run, action, now) };
      case 'throttle': {
        const key = sharedKey(run, action.stepId, action.key);
        const passes = (throttles.get(key) ?? []).filter((t) => t > now - action.windowMs);
        const allowed = passes.length < action.limit;
        const count = passes.length;
        if (allowed) passes.push(now);
        throttles.set(key, passes);
        if (!allowed) logThrottled(run, action.stepId, now);
        return { type: 'throttleResult', now, stepId: action.stepId, allowed, count };
      }
      case 'digestJoin': {
        const key = sharedKey(run, action.stepId, action.key);
        const open = digests.get(key);
        digests.set(key, [...(open ?? []), action.item]);
        return { type: 'digestResult', now, stepId: action.stepId, role: open ? 'joined' : 'owner' };
      }
      case 'digestCollect': {
        const key = sharedKey(run, action.stepId, action.key);
        const items = digests.get(key) ?? [];
        digests.delete(key);
        return { type: 'digestCollected', now, stepId: action.stepId, items };
      }
      case 'updateProfile': {
        const user = users.get(run.audience)!;
        for (const [path, value] of Object.entries(action.set)) setPath(user as unknown as Record<string, JsonValue>, path, value);
        return null;
      }
      case 'finished':
        return null;
    }
  }

  function log(run: LiveRun, m: Pick<ReplayMessage, 'stepId' | 'template' | 'channel' | 'status' | 'reason' | 'sms'>, at: number): void {
    result.messages.push({ trigger: run.trigger, workflow: run.workflow.id, at, ...m });
  }

  function deliver(run: LiveRun, action: Extract<Action, { type: 'send' }>, now: number): SentMessage[] {
    const out: SentMessage[] = [];
    const base = { stepId: action.stepId, template: action.template };
    for (const skip of action.skipped) {
      out.push({ messageId: uuidLike(++ids), channel: skip.channel, status: 'skipped', reason: skip.reason });
      log(run, { ...base, channel: skip.channel, status: 'skipped', reason: skip.reason, sms: null }, now);
    }
    for (const candidate of action.candidates) {
      const messageId = uuidLike(++ids);
      const rendered = renderForReplay({
        bundle,
        publicUrl,
        template: action.template,
        channel: candidate.channel,
        category: action.category,
        user: users.get(run.audience)!,
        data: run.state.data,
        digest: run.state.digest,
        messageId,
        runId: run.state.runId,
        now,
      });
      if (!rendered.ok) {
        // As in production: the message fails and `single` routing moves on to the next channel.
        out.push({ messageId, channel: candidate.channel, status: 'failed', reason: rendered.reason });
        log(run, { ...base, channel: candidate.channel, status: 'failed', reason: rendered.reason, sms: null }, now);
        continue;
      }
      out.push({ messageId, channel: candidate.channel, status: 'sent' });
      log(run, { ...base, channel: candidate.channel, status: 'sent', reason: null, sms: rendered.sms }, now);
      if (action.method === 'single') break;
    }
    return out;
  }

  /** The runtime logs the sends a throttle held back as skipped (runtime/driver/throttled.ts): so does the replay. */
  function logThrottled(run: LiveRun, stepId: string, now: number): void {
    for (const send of sendsAfter(run.workflow.steps, stepId) ?? []) {
      const channels = send.routing.method === 'all' ? send.routing.channels : send.routing.channels.slice(0, 1);
      for (const channel of channels) log(run, { stepId: send.id, template: send.template, channel, status: 'skipped', reason: 'throttled', sms: null }, now);
    }
  }

  function ingest(event: RecordedEvent): void {
    const validator = eventValidator(bundle, event.event);
    const checked = validator?.safeParse(event.properties);
    if (checked && !checked.success) {
      const issue = checked.error.issues[0];
      result.rejected.push({ line: event.line, event: event.event, reason: `${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}` });
      return;
    }
    const audience = event.userId ?? `anonymous#${event.line}`;
    if (!users.has(audience)) users.set(audience, assumedProfile(event.userId));
    const mine = active.get(audience) ?? new Set<string>();
    active.set(audience, mine);
    // Runs already there first, as the runtime routes an event only to runs that were active before it.
    for (const runId of [...mine]) {
      const run = runs.get(runId);
      if (run && listensTo(run.workflow, event.event)) feed(run, { type: 'event', now: event.at, event: event.event, data: event.properties });
    }
    const trigger: Trigger = { line: event.line, event: event.event, userId: event.userId, messageId: event.messageId };
    for (const workflow of Object.values(bundle.workflows)) {
      if (workflow.trigger.type !== 'event' || workflow.trigger.event !== event.event) continue;
      const runId = uuidLike(++ids);
      const state = createRun({ runId, workflow, bundleVersion: bundle.version, userId: event.userId, data: event.properties });
      const run: LiveRun = { state, workflow, audience, trigger };
      runs.set(runId, run);
      mine.add(runId);
      result.runsStarted[workflow.id] = (result.runsStarted[workflow.id] ?? 0) + 1;
      feed(run, { type: 'start', now: event.at });
    }
  }

  // Events and timers in time order; at the same instant the event first, as simulate() orders script entries.
  let next = 0;
  while (next < events.length || timers.size > 0) {
    const event = events[next];
    const timer = timers.peek();
    if (event && (!timer || event.at <= timer.at)) {
      next++;
      ingest(event);
      continue;
    }
    timers.pop();
    const run = timer ? runs.get(timer.runId) : undefined;
    if (run && timer) feed(run, { type: 'timer', now: timer.at, token: timer.token });
  }
  return result;
}

const listening = new WeakMap<Workflow, Set<string>>();

/** Events a run of `workflow` reacts to: its cancelOn and the events its waitFor steps wait for (any branch). */
function listensTo(workflow: Workflow, event: string): boolean {
  let names = listening.get(workflow);
  if (!names) {
    const found = new Set<string>(workflow.cancelOn);
    const walk = (steps: Workflow['steps']) => {
      for (const step of steps) {
        if (step.kind === 'waitFor' && step.until.type === 'event') found.add(step.until.event);
        if (step.kind === 'branch') {
          for (const arm of step.arms) walk(arm.steps);
          walk(step.otherwise);
        }
      }
    };
    walk(workflow.steps);
    listening.set(workflow, (names = found));
  }
  return names.has(event);
}
