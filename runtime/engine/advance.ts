/**
 * The engine's two entry points: `createRun` (a fresh state) and `advance` (state + fact → state + actions).
 * Pure: no clock, no I/O, no randomness, and the input state is never mutated.
 */
import { copy } from './copy.ts';
import type { Bundle, JsonValue, Workflow } from '../../compiler/bundle/schema.ts';
import { CorruptStateError, ROOT } from './cursor.ts';
import { applyFact } from './facts.ts';
import { runSteps } from './steps.ts';
import { isFinished, isStarted, type Turn } from './turn.ts';
import type { EngineContext, EngineResult, Fact, RunState } from './types.ts';

export interface CreateRunInput {
  runId: string;
  workflow: Workflow;
  bundleVersion: string;
  userId: string | null;
  data: Record<string, JsonValue>;
}

/**
 * A run that has not started: feed it `{ type: 'start', now }` to execute its first steps.
 * @example advance(createRun({ runId, workflow, bundleVersion: bundle.version, userId: 'u1', data }), { type: 'start', now }, bundle, ctx)
 */
export function createRun(input: CreateRunInput): RunState {
  return {
    runId: input.runId,
    workflowId: input.workflow.id,
    bundleVersion: input.bundleVersion,
    userId: input.userId,
    data: copy(input.data),
    status: 'running',
    cursor: { frames: [{ list: ROOT, index: 0 }] },
    waiting: null,
    sends: {},
    engagements: {},
    events: [],
    digest: null,
    history: [],
    seq: 0,
  };
}

/**
 * Applies `fact`, then executes steps until the run blocks or ends. Facts after the end, stale timers and
 * replies the run does not wait for return the same state and no actions. Throws `CorruptStateError` only
 * when the state does not fit the bundle (another bundle version, an unknown workflow or step).
 */
export function advance(state: RunState, fact: Fact, bundle: Bundle, ctx: EngineContext): EngineResult {
  if (isFinished(state)) return { state, actions: [] };
  if (state.bundleVersion !== bundle.version) {
    throw new CorruptStateError(`run "${state.runId}" belongs to bundle ${state.bundleVersion}, not ${bundle.version}: load the run's own bundle version`);
  }
  const workflow = bundle.workflows[state.workflowId];
  if (!workflow) throw new CorruptStateError(`run "${state.runId}" names workflow "${state.workflowId}", which bundle ${bundle.version} does not have`);
  const turn: Turn = {
    state: copy(state),
    actions: [],
    bundle,
    workflow,
    user: copy(ctx.user),
    now: fact.now,
  };
  const applied = applyFact(turn, fact);
  if (applied === 'ignored') return { state, actions: [] };
  if (applied === 'resume' && turn.state.status === 'running' && isStarted(turn.state)) runSteps(turn);
  return { state: turn.state, actions: turn.actions };
}
