/**
 * Applies one fact to a turn. Returns what happened: `ignored` (the caller returns the input state untouched),
 * `recorded` (state changed, nothing to execute), or `resume` (execute steps from the cursor).
 * Facts that do not match what the run waits for are never an error.
 */
import { findStep } from '../../compiler/bundle/walk.ts';
import { digestClosesAt, digestSummary } from './digest.ts';
import { engagementSeen } from './engagements.ts';
import { applyEvent } from './events.ts';
import { applyFetchResult, onFetchTimer } from './fetch.ts';
import { keyOf } from './refs.ts';
import { planSend } from './send.ts';
import { block, blockOnTimer, end, isStarted, record, resume, RUN, type Turn } from './turn.ts';
import type { Fact, SentMessage } from './types.ts';

export type Applied = 'ignored' | 'recorded' | 'resume';

export function applyFact(turn: Turn, fact: Fact): Applied {
  const { state } = turn;
  const waiting = state.waiting;
  switch (fact.type) {
    case 'start':
      // A redelivered start must not run the steps twice.
      if (isStarted(state)) return 'ignored';
      record(turn, RUN, 'run', 'started', { workflow: state.workflowId });
      return 'resume';
    case 'cancel':
      end(turn, 'cancelled', fact.reason);
      return 'recorded';
    case 'event':
      return applyEvent(turn, fact);
    case 'engagement': {
      if (findStep(turn.workflow.steps, fact.stepId)?.kind !== 'send') return 'ignored';
      const seen = state.engagements[fact.stepId] ?? [];
      if (seen.includes(fact.kind)) return 'ignored';
      state.engagements[fact.stepId] = [...seen, fact.kind];
      const step = waiting?.kind === 'waitFor' ? findStep(turn.workflow.steps, waiting.stepId) : undefined;
      if (
        step?.kind === 'waitFor' &&
        step.until.type === 'engagement' &&
        step.until.step === fact.stepId &&
        engagementSeen(state.engagements[fact.stepId], step.until.kind)
      ) {
        record(turn, step.id, 'waitFor', 'matched', { engagement: fact.kind });
        resume(turn, true);
        return 'resume';
      }
      return 'recorded';
    }
    case 'timer':
      return onTimer(turn, fact.token);
    case 'profileChanged':
      return onProfileChanged(turn);
    case 'sendResult': {
      if (waiting?.reply !== 'sendResult' || waiting.stepId !== fact.stepId) return 'ignored';
      state.sends[fact.stepId] = fact.messages;
      record(turn, fact.stepId, 'send', sendOutcome(fact.messages), {
        messages: fact.messages.map((m) => ({
          messageId: m.messageId,
          channel: m.channel,
          status: m.status,
          ...(m.reason === undefined ? {} : { reason: m.reason }),
          ...(m.detail === undefined ? {} : { detail: m.detail }),
        })),
      });
      resume(turn, true);
      return 'resume';
    }
    case 'throttleResult': {
      if (waiting?.reply !== 'throttleResult' || waiting.stepId !== fact.stepId) return 'ignored';
      const step = findStep(turn.workflow.steps, fact.stepId);
      const limit = step?.kind === 'throttle' ? step.limit : null;
      record(turn, fact.stepId, 'throttle', fact.allowed ? 'allowed' : 'throttled', { count: fact.count, limit });
      if (!fact.allowed) {
        end(turn, 'completed', 'throttled', { stepId: fact.stepId });
        return 'recorded';
      }
      resume(turn, true);
      return 'resume';
    }
    case 'digestResult': {
      if (waiting?.reply !== 'digestResult' || waiting.stepId !== fact.stepId) return 'ignored';
      if (fact.role === 'joined') {
        record(turn, fact.stepId, 'digest', 'digested');
        end(turn, 'completed', 'digested', { stepId: fact.stepId });
        return 'recorded';
      }
      const step = findStep(turn.workflow.steps, fact.stepId);
      const closes = step?.kind === 'digest' ? digestClosesAt(step, turn.user, fact.now) : { at: fact.now };
      record(turn, fact.stepId, 'digest', 'owner', { until: closes.at, ...(closes.timezone === undefined ? {} : { timezone: closes.timezone }) });
      blockOnTimer(turn, fact.stepId, 'digest', closes.at);
      return 'recorded';
    }
    case 'fetchResult': {
      // Only the answer to the attempt the run waits on: a duplicate or a late answer to an earlier attempt changes nothing.
      if (waiting?.reply !== 'fetchResult' || waiting.stepId !== fact.stepId || waiting.attempt !== fact.attempt) return 'ignored';
      const step = findStep(turn.workflow.steps, fact.stepId);
      if (step?.kind !== 'fetch') return 'ignored';
      return applyFetchResult(turn, step, fact.attempt, fact.outcome);
    }
    case 'digestCollected': {
      if (waiting?.reply !== 'digestCollected' || waiting.stepId !== fact.stepId) return 'ignored';
      const step = findStep(turn.workflow.steps, fact.stepId);
      state.digest = digestSummary(step?.kind === 'digest' ? step : undefined, fact.items);
      const { count, omitted } = state.digest;
      record(turn, fact.stepId, 'digest', 'collected', { count, ...(omitted ? { omitted } : {}) });
      resume(turn, true);
      return 'resume';
    }
  }
}

function onTimer(turn: Turn, token: string): Applied {
  const waiting = turn.state.waiting;
  // A timer for a wait already satisfied (or of an older wait) is stale.
  if (!waiting || waiting.token === undefined || waiting.token !== token) return 'ignored';
  switch (waiting.kind) {
    case 'delay':
      record(turn, waiting.stepId, 'delay', 'elapsed');
      resume(turn, true);
      return 'resume';
    case 'waitFor':
      record(turn, waiting.stepId, 'waitFor', 'timeout');
      resume(turn, true);
      return 'resume';
    case 'window':
    case 'address':
      // Re-plan the send: preferences or addresses may have changed while it was deferred or waited.
      resume(turn, false);
      return 'resume';
    case 'fetch': {
      // The backoff after a failed attempt is over (ask again), or the attempt's answer never came.
      const step = findStep(turn.workflow.steps, waiting.stepId);
      if (step?.kind !== 'fetch') return 'ignored';
      return onFetchTimer(turn, step, waiting);
    }
    case 'digest': {
      const stepId = waiting.stepId;
      const step = findStep(turn.workflow.steps, stepId);
      // Recomputed from the same run data the join used, so it names the same digest.
      const key = step?.kind === 'digest' ? keyOf(step.key, { data: turn.state.data, user: turn.user }) : '';
      turn.actions.push({ type: 'digestCollect', stepId, key });
      record(turn, stepId, 'digest', 'collecting', { key });
      block(turn, { stepId, kind: 'digest', reply: 'digestCollected' });
      return 'recorded';
    }
    default:
      return 'ignored';
  }
}

/**
 * A send waiting for an address goes on as soon as the profile gives it something to send, rather than at the
 * grace's end; a change that brings nothing it can use (another channel's address, a trait) leaves it waiting.
 */
function onProfileChanged(turn: Turn): Applied {
  const waiting = turn.state.waiting;
  if (waiting?.kind !== 'address') return 'ignored';
  const step = findStep(turn.workflow.steps, waiting.stepId);
  if (step?.kind !== 'send') return 'ignored';
  const plan = planSend(turn.bundle, turn.workflow, step, turn.user, turn.state.userId ?? turn.user.id);
  if (plan.candidates.length === 0) return 'ignored';
  resume(turn, false);
  return 'resume';
}

function sendOutcome(messages: SentMessage[]): string {
  if (messages.some((m) => m.status === 'sent' || m.status === 'queued')) return 'sent';
  if (messages.every((m) => m.status === 'skipped')) return 'skipped';
  return 'failed';
}
