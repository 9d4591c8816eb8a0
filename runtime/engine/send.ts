/**
 * The send step: decide, before any provider call, which channels may be used (preference, SMS opt-out,
 * address, provider), in which order, and whether the send window lets it go now.
 */
import type { Bundle, Channel, JsonValue, SendStep, SendWindow, Workflow } from '../../compiler/bundle/schema.ts';
import { isValidTimeZone, isWindowOpen, nextWindowOpening } from '../../compiler/bundle/window.ts';
import { waitedDetail, waitForAddress, withWaited } from './address.ts';
import { capsFor } from './caps.ts';
import { ADDRESS_FIELD, hasAddress, resolvePreference } from './preferences.ts';
import { block, blockOnTimer, record, type Turn } from './turn.ts';
import type { SendCandidate, UserSnapshot } from './types.ts';

export type SkipReason = 'preference' | 'sms_opt_out' | 'no_address' | 'no_provider';

export interface SendPlan {
  candidates: SendCandidate[];
  skipped: { channel: Channel; reason: SkipReason; detail?: Record<string, JsonValue> }[];
}

/**
 * Channel order: `ordered` keeps the authoring order; `user-preference` puts the channels the user explicitly
 * opted in to (for the workflow's category) first, then the rest in authoring order.
 */
function channelOrder(step: SendStep, category: string | null, user: UserSnapshot): Channel[] {
  const channels = step.routing.channels;
  if (step.routing.strategy !== 'user-preference' || category === null) return [...channels];
  const chosen = user.preferences[category] ?? {};
  return [...channels.filter((c) => chosen[c] === true), ...channels.filter((c) => chosen[c] !== true)];
}

/** The step's own providers that serve `channel`, else the channel's default failover order. */
function providersFor(bundle: Bundle, step: SendStep, channel: Channel): string[] {
  const own = (step.providers ?? []).filter((id) => bundle.providers[id]?.channel === channel);
  return own.length > 0 ? own : [...(bundle.channels[channel]?.providers ?? [])];
}

export function planSend(bundle: Bundle, workflow: Workflow, step: SendStep, user: UserSnapshot, userId: string | null): SendPlan {
  const category = workflow.category ?? null;
  const plan: SendPlan = { candidates: [], skipped: [] };
  for (const channel of channelOrder(step, category, user)) {
    if (!step.critical) {
      const pref = resolvePreference(bundle, category, channel, user);
      if (!pref.allowed) {
        plan.skipped.push({ channel, reason: 'preference', detail: { rule: pref.rule, category } });
        continue;
      }
    }
    // Carriers require honouring STOP: not even a critical message goes to an opted-out number.
    if (channel === 'sms' && user.smsOptOut === true) {
      plan.skipped.push({ channel, reason: 'sms_opt_out', detail: { rule: 'sms-opt-out' } });
      continue;
    }
    if (!hasAddress(user, channel, userId)) {
      plan.skipped.push({ channel, reason: 'no_address', detail: { needs: ADDRESS_FIELD[channel] } });
      continue;
    }
    const providers = providersFor(bundle, step, channel);
    if (providers.length === 0) {
      plan.skipped.push({ channel, reason: 'no_provider' });
      continue;
    }
    const caps = capsFor(bundle, workflow, step, channel);
    plan.candidates.push({ channel, providers, ...(caps.length > 0 ? { caps } : {}) });
  }
  return plan;
}

/** The zone a window (or a digest schedule) is read in: its own, or the user's (UTC when unknown or not a valid IANA name). */
export function windowZone(window: Pick<SendWindow, 'timezone'>, user: UserSnapshot): string {
  const zone = window.timezone === 'user' ? user.timezone : window.timezone;
  return zone && isValidTimeZone(zone) ? zone : 'UTC';
}

/** Runs (or re-runs, when its window opens) a send step: defers it, or emits the send and waits for its result. */
export function runSend(turn: Turn, step: SendStep): void {
  const { state, bundle, workflow, user, now } = turn;
  const plan = planSend(bundle, workflow, step, user, state.userId ?? user.id);
  // No address yet (a track that overtook its identify): wait a grace for the profile to get one (address.ts).
  if (waitForAddress(turn, step.id, plan, (channel) => providersFor(bundle, step, channel).length > 0)) return;
  const waited = waitedDetail(turn, step.id);
  const skipped = withWaited(plan.skipped, waited);
  const window = step.window ?? workflow.window;
  // Nothing to deliver means nothing to hold back: log the skips now rather than at the window's opening.
  if (window && !step.critical && plan.candidates.length > 0) {
    const zone = windowZone(window, user);
    if (!isWindowOpen(window, zone, now)) {
      const until = nextWindowOpening(window, zone, now);
      if (until !== null) {
        record(turn, step.id, 'send', 'deferred', { until, timezone: zone });
        blockOnTimer(turn, step.id, 'window', until);
        return;
      }
    }
  }
  turn.actions.push({
    type: 'send',
    stepId: step.id,
    template: step.template,
    method: step.routing.method,
    candidates: plan.candidates,
    skipped,
    category: workflow.category ?? null,
    critical: step.critical,
  });
  record(turn, step.id, 'send', 'dispatched', {
    method: step.routing.method,
    candidates: plan.candidates.map((c) => c.channel),
    skipped: skipped.map((s) => ({ channel: s.channel, reason: s.reason, ...s.detail })),
    ...waited,
  });
  block(turn, { stepId: step.id, kind: 'send', reply: 'sendResult' });
}
