/**
 * What a replay reports: sends per workflow, template and channel under each bundle, SMS segment totals,
 * and — with a base — each message that changed. A message is the same message under both bundles when the
 * same recorded event started the same workflow and the same step sent on the same channel.
 */
import type { Channel } from '../bundle/schema.ts';
import type { ReplayMessage, ReplayResult, Trigger } from './replay-events.ts';
import type { RecordedEvent } from './events.ts';
import { PROFILE_ASSUMPTIONS } from './profile.ts';

export interface Counts {
  sent: number;
  skipped: number;
  failed: number;
  /** Sum of the segments of sent SMS. */
  smsSegments: number;
}

export interface SendsRow {
  workflow: string;
  template: string;
  channel: Channel;
  head: Counts;
  /** null without a base bundle. */
  base: Counts | null;
}

export interface Outcome {
  status: ReplayMessage['status'];
  reason: string | null;
  segments: number | null;
}

export interface MessageChange {
  trigger: Trigger;
  workflow: string;
  stepId: string;
  template: string;
  channel: Channel;
  /** null: the message did not exist under that bundle (the run or the step was not there or not reached). */
  before: Outcome | null;
  after: Outcome | null;
}

export interface BundleSummary {
  version: string;
  runsStarted: number;
  sent: number;
  sms: { messages: number; segments: number };
  rejected: ReplayResult['rejected'];
}

export interface ReplayReport {
  events: { total: number; users: number; from: string | null; to: string | null };
  head: BundleSummary;
  base: BundleSummary | null;
  sends: SendsRow[];
  /** null without a base bundle. */
  changes: {
    /** Sent under the new bundle, not under the base. */
    added: MessageChange[];
    /** Sent under the base, skipped under the new bundle. */
    newlySkipped: MessageChange[];
    /** Sent under the base, failed or gone under the new bundle. */
    noLongerSent: MessageChange[];
    /** Sent SMS under both whose segment count differs. */
    segments: MessageChange[];
  } | null;
  assumptions: string[];
}

export function buildReport(events: RecordedEvent[], head: ReplayResult, base: ReplayResult | null): ReplayReport {
  return {
    events: {
      total: events.length,
      users: new Set(events.map((e) => e.userId)).size,
      from: events[0]?.receivedAt ?? null,
      to: events.at(-1)?.receivedAt ?? null,
    },
    head: summarize(head),
    base: base ? summarize(base) : null,
    sends: sendsTable(head, base),
    changes: base ? changes(base.messages, head.messages) : null,
    assumptions: PROFILE_ASSUMPTIONS,
  };
}

function summarize(r: ReplayResult): BundleSummary {
  const sms = r.messages.filter((m) => m.status === 'sent' && m.sms);
  return {
    version: r.bundleVersion,
    runsStarted: Object.values(r.runsStarted).reduce((a, b) => a + b, 0),
    sent: r.messages.filter((m) => m.status === 'sent').length,
    sms: { messages: sms.length, segments: sms.reduce((n, m) => n + (m.sms?.segments ?? 0), 0) },
    rejected: r.rejected,
  };
}

const zero = (): Counts => ({ sent: 0, skipped: 0, failed: 0, smsSegments: 0 });

function tally(messages: ReplayMessage[]): Map<string, Counts> {
  const out = new Map<string, Counts>();
  for (const m of messages) {
    const key = `${m.workflow}\0${m.template}\0${m.channel}`;
    const c = out.get(key) ?? zero();
    c[m.status]++;
    if (m.status === 'sent') c.smsSegments += m.sms?.segments ?? 0;
    out.set(key, c);
  }
  return out;
}

function sendsTable(head: ReplayResult, base: ReplayResult | null): SendsRow[] {
  const h = tally(head.messages);
  const b = base ? tally(base.messages) : null;
  const keys = [...new Set([...h.keys(), ...(b?.keys() ?? [])])].sort();
  return keys.map((key) => {
    const [workflow, template, channel] = key.split('\0') as [string, string, Channel];
    return { workflow, template, channel, head: h.get(key) ?? zero(), base: b ? (b.get(key) ?? zero()) : null };
  });
}

const identity = (m: ReplayMessage) => `${m.trigger.line}\0${m.workflow}\0${m.stepId}\0${m.channel}`;
const outcome = (m: ReplayMessage | undefined): Outcome | null => (m ? { status: m.status, reason: m.reason, segments: m.sms?.segments ?? null } : null);

function changes(before: ReplayMessage[], after: ReplayMessage[]): NonNullable<ReplayReport['changes']> {
  const b = new Map(before.map((m) => [identity(m), m]));
  const a = new Map(after.map((m) => [identity(m), m]));
  const result: NonNullable<ReplayReport['changes']> = { added: [], newlySkipped: [], noLongerSent: [], segments: [] };
  // Base order first, then messages only the new bundle has: both follow the recorded events' order.
  const keys = [...new Set([...b.keys(), ...a.keys()])];
  for (const key of keys) {
    const was = b.get(key);
    const is = a.get(key);
    const any = (is ?? was)!;
    const change: MessageChange = {
      trigger: any.trigger,
      workflow: any.workflow,
      stepId: any.stepId,
      template: any.template,
      channel: any.channel,
      before: outcome(was),
      after: outcome(is),
    };
    const sentBefore = was?.status === 'sent';
    const sentAfter = is?.status === 'sent';
    if (sentAfter && !sentBefore) result.added.push(change);
    else if (sentBefore && is?.status === 'skipped') result.newlySkipped.push(change);
    else if (sentBefore && !sentAfter) result.noLongerSent.push(change);
    else if (sentBefore && sentAfter && (was.sms?.segments ?? null) !== (is.sms?.segments ?? null)) result.segments.push(change);
  }
  const order = (x: MessageChange, y: MessageChange) => x.trigger.line - y.trigger.line;
  for (const list of Object.values(result)) list.sort(order);
  return result;
}
