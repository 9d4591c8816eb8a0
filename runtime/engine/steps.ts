/**
 * Executes steps from the cursor until the run blocks (a timer or a driver reply) or ends.
 */
import type { BranchStep, JsonValue, Step, UpdateProfileStep, WaitForStep } from '../../compiler/bundle/schema.ts';
import { evaluateCondition, type ConditionScope } from './conditions.ts';
import { currentStep, enterArm, leaveList, stepOver } from './cursor.ts';
import { engagementSeen } from './engagements.ts';
import { keyOf, resolveRef, setPath } from './refs.ts';
import { runSend } from './send.ts';
import { block, blockOnTimer, end, record, type Turn } from './turn.ts';
import { runDelayUntil } from './until.ts';
import { runFetch } from './fetch.ts';

export function conditionScope(turn: Turn): ConditionScope {
  const { state, user, now, bundle } = turn;
  return { data: state.data, user, digest: state.digest, fetched: state.fetched, engagements: state.engagements, now, bundle, userId: state.userId };
}

export function runSteps(turn: Turn): void {
  while (turn.state.status === 'running') {
    const step = currentStep(turn.workflow, turn.state.cursor);
    if (step === null) {
      if (!leaveList(turn.state.cursor)) end(turn, 'completed');
      continue;
    }
    runStep(turn, step);
  }
}

function runStep(turn: Turn, step: Step): void {
  const { state, now } = turn;
  const scope = conditionScope(turn);
  switch (step.kind) {
    case 'send':
      return runSend(turn, step);
    case 'delay':
      if ('until' in step) return runDelayUntil(turn, step);
      record(turn, step.id, 'delay', 'waiting', { until: now + step.durationMs });
      return blockOnTimer(turn, step.id, 'delay', now + step.durationMs);
    case 'waitFor':
      return runWaitFor(turn, step);
    case 'branch':
      return runBranch(turn, step);
    case 'digest': {
      const key = keyOf(step.key, scope);
      turn.actions.push({ type: 'digestJoin', stepId: step.id, key, ...('windowMs' in step ? { windowMs: step.windowMs } : {}), item: state.data });
      record(turn, step.id, 'digest', 'joining', { key });
      return block(turn, { stepId: step.id, kind: 'digest', reply: 'digestResult' });
    }
    case 'throttle': {
      const key = keyOf(step.key, scope);
      turn.actions.push({ type: 'throttle', stepId: step.id, key, limit: step.limit, windowMs: step.windowMs });
      record(turn, step.id, 'throttle', 'checking', { key, limit: step.limit, windowMs: step.windowMs });
      return block(turn, { stepId: step.id, kind: 'throttle', reply: 'throttleResult' });
    }
    case 'updateProfile':
      runUpdateProfile(turn, step);
      return stepOver(state.cursor);
    case 'cancel':
      record(turn, step.id, 'cancel', 'cancelled', step.reason === undefined ? undefined : { reason: step.reason });
      return end(turn, 'cancelled', step.reason ?? `cancel step "${step.id}"`);
    case 'fetch':
      return runFetch(turn, step);
  }
}

/** Already satisfied (an engagement or event that came early) → go on at once; else wait with a timeout. */
function runWaitFor(turn: Turn, step: WaitForStep): void {
  const { state, now } = turn;
  const until = step.until;
  // A keyed wait counts an event seen earlier only if that event matched this very wait (recorded when it came).
  const seen =
    until.type === 'engagement'
      ? engagementSeen(state.engagements[until.step], until.kind)
      : state.events.some((e) => e.event === until.event && (until.match === undefined || (e.matched?.includes(step.id) ?? false)));
  if (seen) {
    record(turn, step.id, 'waitFor', 'matched', { early: true });
    return stepOver(state.cursor);
  }
  record(turn, step.id, 'waitFor', 'waiting', { until: now + step.timeoutMs });
  blockOnTimer(turn, step.id, 'waitFor', now + step.timeoutMs);
}

/** First arm whose condition holds, else `otherwise`; history keeps each evaluated arm's explanation. */
function runBranch(turn: Turn, step: BranchStep): void {
  const scope = conditionScope(turn);
  const evaluated: JsonValue[] = [];
  let winner: number | 'otherwise' = 'otherwise';
  for (const [index, arm] of step.arms.entries()) {
    const result = evaluateCondition(arm.when, scope);
    evaluated.push({ arm: index, value: result.value, explain: result.explain });
    if (result.value) {
      winner = index;
      break;
    }
  }
  record(turn, step.id, 'branch', 'branch', { arm: winner, arms: evaluated });
  enterArm(turn.state.cursor, step.id, winner);
}

/** Resolves each value; a reference with no value is left out (listed in history) rather than set to null. */
function runUpdateProfile(turn: Turn, step: UpdateProfileStep): void {
  const scope = conditionScope(turn);
  const set: Record<string, JsonValue> = {};
  const missing: string[] = [];
  for (const [path, source] of Object.entries(step.set)) {
    const value = 'ref' in source ? resolveRef(source.ref, scope) : source.value;
    if (value === undefined) missing.push(path);
    else set[path] = value;
  }
  if (Object.keys(set).length > 0) {
    turn.actions.push({ type: 'updateProfile', stepId: step.id, set });
    // Later steps of this turn see the change; later turns get it from the driver's fresh snapshot.
    for (const [path, value] of Object.entries(set)) setPath(turn.user as unknown as Record<string, JsonValue>, path, value);
  }
  record(turn, step.id, 'updateProfile', 'updated', { set, ...(missing.length > 0 ? { missing } : {}) });
}
