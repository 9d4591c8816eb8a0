/**
 * Replays recorded events under one bundle, in virtual time, on the in-memory driver (runtime/memory-driver):
 * the same engine and the same answers to its actions as `herald test`, with runs meeting as they do in
 * production — a later event cancels or wakes the user's earlier runs, a throttle counts across the user's
 * runs, a digest gathers them into one. Sends succeed unless their template cannot render. This file turns
 * recorded events into triggers and counts what happened.
 */
import type { Bundle, Channel } from '../bundle/schema.ts';
import { heldByThrottle } from '../bundle/walk.ts';
import { workflowIndex } from '../bundle/workflow-index.ts';
import { isFinished, type RunStatus } from '../../runtime/engine/index.ts';
import { MemoryDriver, type MemoryRun } from '../../runtime/memory-driver/index.ts';
import { smsSegments, type SmsSegments } from '../../runtime/render/index.ts';
import { eventValidator } from '../bundle/validators.ts';
import { publicUrlFromEnv, uuidLike } from '../preview/builtins.ts';
import { inMemoryRenderer } from '../preview/render-in-memory.ts';
import type { RecordedEvent } from './events.ts';
import { assumedProfile } from './profile.ts';

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

export function replayEvents(bundle: Bundle, events: RecordedEvent[], options: { publicUrl?: string } = {}): ReplayResult {
  const publicUrl = options.publicUrl ?? publicUrlFromEnv();
  const result: ReplayResult = { bundleVersion: bundle.version, rejected: [], runsStarted: {}, runsEnded: {}, messages: [] };
  const index = workflowIndex(bundle);
  let ids = 0;

  const log = (run: MemoryRun<Trigger>, m: Pick<ReplayMessage, 'stepId' | 'template' | 'channel' | 'status' | 'reason' | 'sms'>, at: number) =>
    result.messages.push({ trigger: run.meta, workflow: run.workflow.id, at, ...m });

  const driver = new MemoryDriver<Trigger>({
    bundle,
    now: events[0]?.at ?? 0,
    delivery: { render: inMemoryRenderer({ bundle, publicUrl }), messageId: () => uuidLike(++ids) },
    describe: (run) => `run of "${run.workflow.id}" (event line ${run.meta.line})`,
    observe: {
      delivered(run, logged, now) {
        for (const m of logged) {
          const sms =
            m.status === 'sent' && m.content && 'body' in m.content && typeof m.content.body === 'string' && m.channel === 'sms'
              ? smsSegments(m.content.body)
              : null;
          log(run, { stepId: m.stepId, template: m.template, channel: m.channel, status: m.status, reason: m.reason ?? null, sms }, now);
        }
      },
      advanced(run, fact, outcome, before) {
        // The runtime logs the sends a throttle held back as skipped (runtime/execution/throttled.ts): so does the replay.
        for (const h of outcome.state.history.slice(before)) {
          if (h.kind !== 'throttle' || h.outcome !== 'throttled') continue;
          for (const { send, channel } of heldByThrottle(run.workflow.steps, h.stepId)) {
            log(run, { stepId: send.id, template: send.template, channel, status: 'skipped', reason: 'throttled', sms: null }, fact.now);
          }
        }
      },
      settled(run) {
        if (!isFinished(run.state)) return;
        const status = run.state.status;
        result.runsEnded[status] = (result.runsEnded[status] ?? 0) + 1;
        driver.forget(run.id);
      },
    },
  });

  function ingest(event: RecordedEvent): void {
    const validator = eventValidator(bundle, event.event);
    const checked = validator?.safeParse(event.properties);
    if (checked && !checked.success) {
      const issue = checked.error.issues[0];
      result.rejected.push({ line: event.line, event: event.event, reason: `${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}` });
      return;
    }
    const audience = event.userId ?? `anonymous#${event.line}`;
    if (!driver.user(audience)) driver.setUser(audience, assumedProfile(event.userId));
    // Runs already there first, as the runtime routes an event only to runs that were active before it.
    driver.routeEvent(audience, event.event, event.properties, event.at);
    const trigger: Trigger = { line: event.line, event: event.event, userId: event.userId, messageId: event.messageId };
    for (const workflow of index.startedBy(event.event)) {
      result.runsStarted[workflow.id] = (result.runsStarted[workflow.id] ?? 0) + 1;
      driver.start({ runId: uuidLike(++ids), workflow, audience, userId: event.userId, data: event.properties, meta: trigger, at: event.at });
    }
  }

  // Events and timers in time order; at the same instant the event first, as simulate() orders script entries.
  let next = 0;
  for (;;) {
    const event = events[next];
    const timerAt = driver.nextTimerAt();
    if (event && (timerAt === undefined || event.at <= timerAt)) {
      next++;
      driver.now = Math.max(driver.now, event.at);
      ingest(event);
    } else if (timerAt !== undefined) {
      driver.fireNextTimer();
    } else {
      return result;
    }
  }
}
