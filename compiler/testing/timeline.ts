/**
 * The story of a simulation, one readable entry per thing that happened: the engine's history entries (waits,
 * branch decisions, throttles, digests, the run's start and end) turned into words, the messages the
 * in-memory providers logged, and what the scenario itself did (engagements, events, heartbeats). Each entry
 * is data (for `toMatchObject`) and a line of text (for failure reports).
 */
import type { Channel, JsonValue, Workflow } from '../bundle/schema.ts';
import { findStep } from '../bundle/walk.ts';
import type { HistoryEntry } from '../../runtime/engine/index.ts';
import { formatDuration } from '../dsl/duration.ts';
import { delayUntil } from '../graph/describe.ts';
import type { SimMessage } from './messages.ts';

interface Base {
  /** Milliseconds after the trigger. */
  ms: number;
  /** The same offset, readable: `'+2h'`. */
  at: string;
  run: string;
  /** One line for people: `welcome: email sent (onboarding-welcome via sendgrid)`. */
  text: string;
}

export type TimelineEntry = Base &
  (
    | { type: 'run'; outcome: 'started' | 'completed' | 'cancelled' | 'failed'; reason?: string }
    | { type: 'send'; step: string; channel: Channel; template: string; status: SimMessage['status']; provider: string | null; reason?: string }
    | { type: 'wait'; step: string; kind: 'delay' | 'waitFor' | 'window' | 'digest' | 'address'; until: string }
    | { type: 'resume'; step: string; outcome: 'elapsed' | 'timeout' | 'matched'; by?: string }
    | { type: 'branch'; step: string; arm: number | 'otherwise'; why: string }
    | { type: 'throttle'; step: string; outcome: 'allowed' | 'throttled'; count: number; limit: number | null }
    | { type: 'digest'; step: string; outcome: 'joined' | 'collected'; count?: number; omitted?: number }
    | { type: 'profile'; step: string; set: Record<string, JsonValue> }
    | { type: 'input'; input: 'engage' | 'event' | 'heartbeat' | 'profile' | 'cancel'; detail: string }
    | { type: 'step'; step: string; kind: string; outcome: string }
  );

/** Converts epoch ms to the entry's offset fields. */
export interface Clock {
  ms(epoch: number): number;
  at(epoch: number): string;
}

const prefix = (run: string) => (run === 'run-1' ? '' : `[${run}] `);

export function messageEntry(m: SimMessage): TimelineEntry {
  const via = m.provider ? ` via ${m.provider}` : '';
  const rule = m.detail?.rule ?? m.detail?.needs;
  const waited = typeof m.detail?.waited === 'number' ? `, after waiting ${formatDuration(m.detail.waited)}` : '';
  const why = m.reason ? `: ${m.reason}${typeof rule === 'string' ? ` (${rule}${waited})` : ''}` : '';
  return {
    ms: m.ms,
    at: m.at,
    run: m.run,
    type: 'send',
    step: m.step,
    channel: m.channel,
    template: m.template,
    status: m.status,
    provider: m.provider,
    ...(m.reason === undefined ? {} : { reason: m.reason }),
    text: `${prefix(m.run)}${m.step}: ${m.channel} ${m.status} (${m.template}${via})${why}`,
  };
}

export function inputEntry(run: string, clock: Clock, now: number, input: Extract<TimelineEntry, { type: 'input' }>['input'], detail: string): TimelineEntry {
  return { ms: clock.ms(now), at: clock.at(now), run, type: 'input', input, detail, text: `▶ ${input}${detail ? ` ${detail}` : ''}` };
}

const num = (v: JsonValue | undefined): number | null => (typeof v === 'number' ? v : null);
const str = (v: JsonValue | undefined): string | undefined => (typeof v === 'string' ? v : undefined);

/**
 * One history entry → a timeline entry, or null for bookkeeping the reader does not need (a send being
 * dispatched is followed by its messages; "joining" a digest by its outcome).
 */
export function historyEntry(h: HistoryEntry, run: string, workflow: Workflow, clock: Clock): TimelineEntry | null {
  const base = { ms: clock.ms(h.at), at: clock.at(h.at), run };
  const p = prefix(run);
  const d = h.detail ?? {};
  const until = (label: string) => {
    const at = num(d.until);
    return at === null ? '' : `${label} ${clock.at(at)}`;
  };
  switch (`${h.kind}/${h.outcome}`) {
    case 'run/started':
      return { ...base, type: 'run', outcome: 'started', text: `${p}run started (${workflow.id})` };
    case 'run/completed':
    case 'run/cancelled':
    case 'run/failed': {
      const reason = str(d.reason) ?? str(d.error);
      const outcome = h.outcome as 'completed' | 'cancelled' | 'failed';
      return { ...base, type: 'run', outcome, ...(reason === undefined ? {} : { reason }), text: `${p}run ${outcome}${reason ? `: ${reason}` : ''}` };
    }
    case 'delay/waiting': {
      // A delay until a moment of the run says which moment, as the workflow wrote it.
      const step = findStep(workflow.steps, h.stepId);
      const moment = step?.kind === 'delay' && 'until' in step ? ` (${delayUntil(step)})` : '';
      return {
        ...base,
        type: 'wait',
        step: h.stepId,
        kind: 'delay',
        until: clock.at(num(d.until) ?? h.at),
        text: `${p}${h.stepId}: delay ${until('until')}${moment}`,
      };
    }
    case 'delay/passed':
    case 'delay/skipped': {
      const step = findStep(workflow.steps, h.stepId);
      const ref = str(d.ref) ?? '?';
      const until = num(d.until);
      const why =
        str(d.reason) === 'until_missing'
          ? `${ref} has no value`
          : str(d.reason) === 'until_invalid'
            ? `${ref} is ${JSON.stringify(d.value ?? null)}, not a date-time`
            : `${step?.kind === 'delay' && 'until' in step ? delayUntil(step) : ref} was ${until === null ? 'earlier' : clock.at(until)}, already past`;
      const then = h.outcome === 'passed' ? 'going on at once' : 'the run ends';
      return {
        ...base,
        type: 'step',
        step: h.stepId,
        kind: 'delay',
        outcome: h.outcome,
        text: `${p}${h.stepId}: ${why}: ${then} (${str(d.reason) ?? 'until_past'})`,
      };
    }
    case 'waitFor/waiting': {
      const step = findStep(workflow.steps, h.stepId);
      const what = step?.kind === 'waitFor' ? (step.until.type === 'engagement' ? `${step.until.step} ${step.until.kind}` : `event ${step.until.event}`) : 'it';
      return {
        ...base,
        type: 'wait',
        step: h.stepId,
        kind: 'waitFor',
        until: clock.at(num(d.until) ?? h.at),
        text: `${p}${h.stepId}: waiting for ${what}, ${until('timeout at')}`,
      };
    }
    case 'send/waiting': {
      // No address to send to yet: the send waits a grace for the profile to get one.
      const channels = Array.isArray(d.channels) ? d.channels.join(', ') : 'its channels';
      return {
        ...base,
        type: 'wait',
        step: h.stepId,
        kind: 'address',
        until: clock.at(num(d.until) ?? h.at),
        text: `${p}${h.stepId}: no address for ${channels} yet, waiting ${until('until')}`,
      };
    }
    case 'send/deferred':
      return {
        ...base,
        type: 'wait',
        step: h.stepId,
        kind: 'window',
        until: clock.at(num(d.until) ?? h.at),
        text: `${p}${h.stepId}: outside the send window (${str(d.timezone) ?? 'UTC'}), deferred ${until('until')}`,
      };
    case 'digest/owner':
      return {
        ...base,
        type: 'wait',
        step: h.stepId,
        kind: 'digest',
        until: clock.at(num(d.until) ?? h.at),
        text: `${p}${h.stepId}: digest open ${until('until')}${str(d.timezone) ? ` (${str(d.timezone)})` : ''}`,
      };
    case 'delay/elapsed':
      return { ...base, type: 'resume', step: h.stepId, outcome: 'elapsed', text: `${p}${h.stepId}: delay over` };
    case 'waitFor/timeout':
      return { ...base, type: 'resume', step: h.stepId, outcome: 'timeout', text: `${p}${h.stepId}: timed out` };
    case 'waitFor/matched': {
      const by = str(d.engagement) ?? (typeof d.event === 'string' ? `event ${d.event}` : d.early === true ? 'already seen' : undefined);
      return {
        ...base,
        type: 'resume',
        step: h.stepId,
        outcome: 'matched',
        ...(by === undefined ? {} : { by }),
        text: `${p}${h.stepId}: matched${by ? ` (${by})` : ''}`,
      };
    }
    case 'branch/branch': {
      const arm = d.arm === 'otherwise' ? 'otherwise' : (num(d.arm) ?? 'otherwise');
      const arms = Array.isArray(d.arms) ? d.arms : [];
      const why = arms.map((a) => explainText(asObject(a).explain, clock)).join('; ');
      const chosen = arm === 'otherwise' ? 'otherwise' : explainText(asObject(arms[arms.length - 1]).explain, clock, false);
      return { ...base, type: 'branch', step: h.stepId, arm, why, text: `${p}${h.stepId}: took ${arm === 'otherwise' ? 'otherwise' : `"${chosen}"`} (${why})` };
    }
    case 'throttle/allowed':
    case 'throttle/throttled': {
      const count = num(d.count) ?? 0;
      const limit = num(d.limit);
      const outcome = h.outcome as 'allowed' | 'throttled';
      return {
        ...base,
        type: 'throttle',
        step: h.stepId,
        outcome,
        count,
        limit,
        text: `${p}${h.stepId}: throttle ${outcome} (${count} of ${limit ?? '?'} used in the window)`,
      };
    }
    case 'digest/digested':
      return { ...base, type: 'digest', step: h.stepId, outcome: 'joined', text: `${p}${h.stepId}: joined the open digest` };
    case 'digest/collected': {
      const count = num(d.count) ?? 0;
      const omitted = num(d.omitted) ?? 0;
      return {
        ...base,
        type: 'digest',
        step: h.stepId,
        outcome: 'collected',
        count,
        ...(omitted > 0 ? { omitted } : {}),
        text: `${p}${h.stepId}: digest collected ${count} item${count === 1 ? '' : 's'}${omitted > 0 ? ` (${count - omitted} shown, ${omitted} left out)` : ''}`,
      };
    }
    case 'updateProfile/updated': {
      const set = asObject(d.set);
      return { ...base, type: 'profile', step: h.stepId, set, text: `${p}${h.stepId}: profile ${JSON.stringify(set)}` };
    }
    case 'event/unmatched':
    case 'waitFor/unmatched': {
      // A keyed cancel or wait that this event is not about: which pair did not hold.
      const who = h.stepId ? `${h.stepId}: ` : '';
      const text = `${p}${who}${str(d.event) ?? 'event'} ignored, not a match (${mismatch(asObject(d.match), asObject(d.expected))})`;
      return { ...base, type: 'step', step: h.stepId, kind: h.kind, outcome: h.outcome, text };
    }
    case 'fetch/fetched':
    case 'fetch/retrying':
    case 'fetch/failed':
    case 'fetch/reused': {
      const error = str(d.error);
      return {
        ...base,
        type: 'step',
        step: h.stepId,
        kind: 'fetch',
        outcome: h.outcome,
        text: `${p}${h.stepId}: fetch ${h.outcome}${error ? ` (${error})` : ''}`,
      };
    }
    // Bookkeeping: the messages, the outcome or the run's end follow and say it better.
    case 'send/dispatched':
    case 'send/sent':
    case 'send/skipped':
    case 'send/failed':
    case 'fetch/requesting':
    case 'throttle/checking':
    case 'digest/joining':
    case 'digest/collecting':
    case 'event/cancelled':
      return null;
    default:
      return { ...base, type: 'step', step: h.stepId, kind: h.kind, outcome: h.outcome, text: `${p}${h.stepId}: ${h.kind} ${h.outcome}` };
  }
}

/** `cart_id "cart_78" ≠ "cart_77"`, per pair of a keyed match (`missing` where a side had no value). */
function mismatch(seen: Record<string, JsonValue>, expected: Record<string, JsonValue>): string {
  const show = (v: JsonValue | undefined) => (v === undefined ? 'missing' : JSON.stringify(v));
  const at = (o: Record<string, JsonValue>, path: string) => (Object.hasOwn(o, path) ? o[path] : undefined);
  const paths = [...new Set([...Object.keys(seen), ...Object.keys(expected)])];
  return paths
    .map((path) => {
      const [got, want] = [at(seen, path), at(expected, path)];
      return `${path} ${show(got)} ${got !== undefined && show(got) === show(want) ? '=' : '≠'} ${show(want)}`;
    })
    .join(', ');
}

function asObject(v: JsonValue | undefined): Record<string, JsonValue> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? v : {};
}

/** An arm's explanation tree as one phrase: `engaged(welcome, opened) = false`. */
function explainText(node: JsonValue | undefined, clock: Clock, withValue = true): string {
  const e = asObject(node);
  const children = Array.isArray(e.children) ? e.children : [];
  const value = withValue ? ` = ${e.value === true}` : '';
  switch (e.op) {
    case 'and':
    case 'or':
      return `(${children.map((c) => explainText(c, clock, false)).join(` ${String(e.op)} `)})${value}`;
    case 'not':
      return `not ${explainText(children[0], clock, false)}${value}`;
    case 'compare': {
      const right = e.cmp === 'exists' ? '' : ` ${JSON.stringify(e.right)}`;
      return `${String(e.ref)} ${String(e.cmp)}${right} [is ${JSON.stringify(e.left)}]${value}`;
    }
    case 'engaged':
      return `engaged(${String(e.step)}, ${String(e.kind)})${value}`;
    case 'activeWithin': {
      const last = num(e.lastActiveAt);
      return `activeWithin(${formatDuration(num(e.durationMs) ?? 0)}) [last active ${last === null ? 'never' : clock.at(last)}]${value}`;
    }
    case 'hasChannel':
      return `hasChannel(${String(e.channel)})${value}`;
    case 'preference':
      return `preference(${String(e.category)}, ${String(e.channel)}) [${String(e.rule)}]${value}`;
    default:
      return `${String(e.op)}${value}`;
  }
}

/** The timeline as aligned lines, for failure reports and `console.log(formatTimeline(sim.timeline()))`. */
export function formatTimeline(entries: readonly TimelineEntry[], indent = ''): string {
  const width = Math.max(4, ...entries.map((e) => e.at.length));
  return entries.map((e) => `${indent}${e.at.padEnd(width)}  ${e.text}`).join('\n');
}
