/**
 * `simulate(bundle, workflowId, options)`: a workflow run for one user in virtual time, driven step by step.
 *
 *   const sim = simulate(bundle, 'onboarding', { user: { email: 'ada@example.com' }, data: { first_name: 'Ada', plan_type: 'pro' } });
 *   sim.advance('30m').engage('welcome', 'opened');
 *   sim.read('welcome-inapp'); // the in-app item was opened (also sim.seen, sim.click)
 *   sim.sent(); // [{ step: 'welcome', at: '+0s', … }, { step: 'next-steps', at: '+30m', … }]
 *
 * The same pure engine as the runtime makes every decision; this file only keeps the clock, records what
 * the scenario did (`inputs()`, which the runtime parity test replays) and answers questions.
 */
import type { Bundle, Channel, EngagementKind, JsonValue } from '../bundle/schema.ts';
import { findStep } from '../bundle/walk.ts';
import type { Duration } from '../dsl/duration.ts';
import type { RunState } from '../../runtime/engine/index.ts';
import type { SimMessage } from './messages.ts';
import { durationToMs, formatOffset } from './offset.ts';
import { checkData, resolveStart, simUserSchema, SimulationSetupError, type SimulateOptions, type SimUser } from './options.ts';
import { formatTimeline, type TimelineEntry } from './timeline.ts';
import { World } from './world.ts';

/** What the scenario did, with when: enough to replay it on a real runtime. */
export type SimInput = { ms: number; at: string } & (
  | { kind: 'engage'; run: string; step: string; engagement: EngagementKind; channel?: Channel }
  | { kind: 'event'; event: string; data: Record<string, JsonValue> }
  | { kind: 'heartbeat' }
  | { kind: 'profile'; patch: SimUser }
  | { kind: 'cancel'; run: string; reason: string }
);

/** A sent message, as `sent()` lists it. */
export type SentEntry = Omit<SimMessage, 'status'> & { status: 'sent' };

export interface Simulation {
  /** Moves the virtual clock forward, firing every timer (delays, wait timeouts, windows, digests) due meanwhile. */
  advance(duration: Duration | number): Simulation;
  /** The user engages with the latest message of `stepId` (an open, a click, a delivery report). */
  engage(stepId: string, kind: EngagementKind): Simulation;
  /** The inbox list is opened on the latest in-app message of `stepId`: `seen`. */
  seen(stepId: string): Simulation;
  /**
   * The user opens (or marks read) the latest in-app message of `stepId`: `read`. With the send's `readSync`, its
   * other channels' messages are marked read too (the timeline says which); the run hears the read once.
   */
  read(stepId: string): Simulation;
  /** The user follows the action of the latest in-app message of `stepId`: `clicked` (which reads it too). */
  click(stepId: string): Simulation;
  /** The user's product event: feeds waits and `cancelOn`; the workflow's own trigger event starts another run. */
  event(name: string, data?: Record<string, JsonValue>): Simulation;
  /** The user is active in the app now (`s.user.activeWithin`). */
  heartbeat(): Simulation;
  /** Changes the profile from now on (add a phone number, a push token, an SMS opt-out…). */
  profile(patch: SimUser): Simulation;
  /** Cancels a run (default: the first), as `POST /v1/runs/:id/cancel` does. */
  cancel(reason?: string, run?: string): Simulation;

  /** Every entry so far, in order, with its offset: sends, skips, waits, branch decisions, inputs. */
  timeline(): TimelineEntry[];
  /** Messages sent so far, in order. */
  sent(): SentEntry[];
  /** Every logged message: sent, skipped (with the reason) and failed. */
  messages(): SimMessage[];
  /** The first run's status (`waiting`, `completed`, `cancelled`…). */
  status(run?: string): RunState['status'];
  /** The engine's state of a run (default: the first), for anything the timeline does not show. */
  state(run?: string): RunState;
  /** Every run started so far: `run-1`, then one per trigger event sent with `event()`. */
  runs(): string[];
  /** The virtual time since the trigger: `{ ms, at: '+2h' }`. */
  elapsed(): { ms: number; at: string };
  /** What the scenario did so far (engagements, events, heartbeats…), with offsets. */
  inputs(): SimInput[];
  /** The timeline as aligned text lines. */
  toString(): string;
}

/** The first run of a simulation: the one `simulate` triggers. */
const FIRST = 'run-1';

export function simulate(bundle: Bundle, workflowId: string, options: SimulateOptions): Simulation {
  const start = resolveStart(bundle, workflowId, options);
  const workflow = bundle.workflows[workflowId]!;
  const world = new World(bundle, workflow, start.startAt, start.user, start.failing, start.tenant, start.fetched);
  const inputs: SimInput[] = [];
  const stamp = () => ({ ms: world.clock.ms(world.now), at: world.clock.at(world.now) });
  world.startRun(start.data);

  const runOf = (run: string): RunState => {
    const state = world.runState(run);
    if (!state) throw new SimulationSetupError(`no run "${run}"; runs so far: ${world.runIds().join(', ')}`);
    return state;
  };

  /** An engagement with the latest message of the step sent (on `channel`, for the inbox's own reports). */
  const engageWith = (call: string, stepId: string, kind: EngagementKind, channel?: Channel): Simulation => {
    // Engagements come from a message (a webhook or the inbox names the message, not the run): the latest one sent.
    const sent = world.messages.filter((m) => m.status === 'sent' && (channel === undefined || m.channel === channel));
    const message = sent.findLast((m) => m.step === stepId);
    if (!message) {
      const sentSteps = [...new Set(sent.map((m) => m.step))];
      const what = channel === undefined ? 'message' : `${channel} message`;
      throw new SimulationSetupError(
        `${call} at ${formatOffset(world.clock.ms(world.now))}: no ${what} of step "${stepId}" was sent yet (sent so far: ${sentSteps.join(', ') || 'nothing'})`,
      );
    }
    inputs.push({ ...stamp(), kind: 'engage', run: message.run, step: stepId, engagement: kind, ...(channel === undefined ? {} : { channel }) });
    world.note(message.run, 'engage', `${stepId} ${kind}${channel === undefined ? '' : ` (${channel})`}${readSyncNote(message, kind)}`);
    world.feed(message.run, { type: 'engagement', now: world.now, stepId, kind });
    return sim;
  };
  /** In-app messages read so far: read sync acts on the first read only, as on the runtime. */
  const readInApp = new Set<SimMessage>();
  /** What read sync does on the runtime when an in-app message is read: its step's other sent messages are marked read. */
  const readSyncNote = (message: SimMessage, kind: EngagementKind): string => {
    if (message.channel !== 'inapp' || (kind !== 'read' && kind !== 'opened' && kind !== 'clicked') || readInApp.has(message)) return '';
    readInApp.add(message);
    const step = findStep(workflow.steps, message.step);
    if (step?.kind !== 'send' || !step.readSync) return '';
    const others = world.messages.filter((m) => m.run === message.run && m.step === message.step && m.channel !== 'inapp' && m.status === 'sent');
    return others.length ? `; read sync: ${others.map((m) => m.channel).join(', ')} marked read` : '';
  };

  const sim: Simulation = {
    advance(duration) {
      world.runUntil(world.now + durationToMs(duration));
      return sim;
    },
    engage(stepId, kind) {
      return engageWith(`engage("${stepId}", "${kind}")`, stepId, kind);
    },
    seen: (stepId) => engageWith(`seen("${stepId}")`, stepId, 'seen', 'inapp'),
    read: (stepId) => engageWith(`read("${stepId}")`, stepId, 'read', 'inapp'),
    click: (stepId) => engageWith(`click("${stepId}")`, stepId, 'clicked', 'inapp'),
    event(name, data = {}) {
      if (bundle.events[name]) checkData(bundle, name, data);
      inputs.push({ ...stamp(), kind: 'event', event: name, data: structuredClone(data) });
      world.note(FIRST, 'event', name);
      // The runtime routes an event to the user's live runs that listen to it, then starts the workflows it triggers.
      world.routeEvent(name, data);
      if (workflow.trigger.type === 'event' && workflow.trigger.event === name) world.startRun(structuredClone(data));
      return sim;
    },
    heartbeat() {
      inputs.push({ ...stamp(), kind: 'heartbeat' });
      world.note(FIRST, 'heartbeat', '');
      world.user = { ...world.user, lastActiveAt: world.now };
      return sim;
    },
    profile(patch) {
      const parsed = simUserSchema.safeParse(patch);
      if (!parsed.success) throw new SimulationSetupError(`profile(…): ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
      inputs.push({ ...stamp(), kind: 'profile', patch: structuredClone(patch) });
      world.note(FIRST, 'profile', JSON.stringify(patch));
      // As `PUT /v1/users/:id` does: fields given replace, traits merge.
      const { traits, ...fields } = structuredClone(parsed.data);
      world.updateProfile({ ...world.user, ...fields, traits: { ...world.user.traits, ...traits } });
      return sim;
    },
    cancel(reason = 'cancelled by the scenario', run = FIRST) {
      runOf(run);
      inputs.push({ ...stamp(), kind: 'cancel', run, reason });
      world.note(run, 'cancel', reason);
      world.feed(run, { type: 'cancel', now: world.now, reason });
      return sim;
    },
    timeline: () => structuredClone(world.timeline),
    sent: () => world.messages.filter((m): m is SentEntry => m.status === 'sent').map((m) => structuredClone(m)),
    messages: () => structuredClone(world.messages),
    status: (run = FIRST) => runOf(run).status,
    state: (run = FIRST) => structuredClone(runOf(run)),
    runs: () => world.runIds(),
    elapsed: () => stamp(),
    inputs: () => structuredClone(inputs),
    toString: () => formatTimeline(world.timeline),
  };
  return sim;
}
