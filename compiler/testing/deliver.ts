/**
 * In-memory providers: what the runtime's `deliver` does with a `send` action, minus the network. Channels
 * the engine ruled out are logged `skipped`; each candidate is rendered with the runtime's own renderer (so a
 * template that breaks on this data fails here as it would in production) and handed to its providers in
 * failover order. One message per (step, channel), as in the runtime's log; nothing leaves the process.
 */
import { builtinValues, DEFAULT_PUBLIC_URL } from '../preview/builtins.ts';
import type { Bundle, Channel, JsonValue } from '../bundle/schema.ts';
import { renderTemplate, type RenderedContent } from '../../runtime/render/index.ts';
import type { Action, SentMessage, UserSnapshot } from '../../runtime/engine/types.ts';

type SendAction = Extract<Action, { type: 'send' }>;

/** A message as the simulator logs it: where it went, and what it said when it was sent. */
export interface SimMessage {
  /** Milliseconds after the trigger. */
  ms: number;
  /** The same offset, readable: `'+2h'`. */
  at: string;
  /** `run-1` is the run `simulate` started; later runs come from `event()` with the workflow's trigger. */
  run: string;
  step: string;
  channel: Channel;
  template: string;
  status: 'sent' | 'skipped' | 'failed';
  /** The provider that took it (null when skipped or every provider failed). */
  provider: string | null;
  reason?: string;
  /** Why a channel was skipped, in more detail: the preference `rule`, the profile field it `needs`… */
  detail?: Record<string, JsonValue>;
  /** The rendered content (subject/text/html, body, title…) of a sent message. */
  content?: RenderedContent;
}

export interface DeliveryContext {
  bundle: Bundle;
  run: string;
  data: Record<string, JsonValue>;
  digest: { count: number; items: JsonValue[] } | null;
  user: UserSnapshot;
  /** Provider ids or channel names that fail every attempt. */
  failing: ReadonlySet<string>;
  ms: number;
  at: string;
}

/** Carries out one send; returns the engine's `sendResult` messages and the log entries, in the same order. */
export function deliverInMemory(ctx: DeliveryContext, action: SendAction): { result: SentMessage[]; log: SimMessage[] } {
  const result: SentMessage[] = [];
  const log: SimMessage[] = [];
  const record = (
    channel: Channel,
    status: SimMessage['status'],
    provider: string | null,
    reason?: string,
    content?: RenderedContent,
    detail?: Record<string, JsonValue>,
  ) => {
    const messageId = `${ctx.run}:${action.stepId}:${channel}`;
    result.push({ messageId, channel, status, ...(reason === undefined ? {} : { reason }) });
    log.push({
      ms: ctx.ms,
      at: ctx.at,
      run: ctx.run,
      step: action.stepId,
      channel,
      template: action.template,
      status,
      provider,
      ...(reason === undefined ? {} : { reason }),
      ...(detail === undefined ? {} : { detail }),
      ...(content === undefined ? {} : { content }),
    });
  };
  for (const skip of action.skipped) record(skip.channel, 'skipped', null, skip.reason, undefined, skip.detail);
  const template = ctx.bundle.templates[action.template];
  for (const candidate of action.candidates) {
    if (!template) {
      record(candidate.channel, 'failed', null, 'unknown_template');
      continue;
    }
    let content: RenderedContent;
    try {
      content = renderTemplate(template, candidate.channel, {
        data: ctx.data,
        user: ctx.user,
        locale: ctx.user.locale ?? null,
        // The runtime's built-ins, links signed as the preview signs them.
        extra: builtinValues({
          bundle: ctx.bundle,
          publicUrl: DEFAULT_PUBLIC_URL,
          userId: ctx.user.id,
          category: action.category,
          channel: candidate.channel,
          messageId: `${ctx.run}:${action.stepId}:${candidate.channel}`,
          runId: ctx.run,
          digest: ctx.digest,
          now: ctx.ms,
        }),
      });
    } catch {
      // The runtime logs the same outcome: a template that cannot render is a permanent failure.
      record(candidate.channel, 'failed', null, 'render_error');
      continue;
    }
    const provider = candidate.providers.find((id) => !ctx.failing.has(id) && !ctx.failing.has(candidate.channel));
    if (provider === undefined) {
      record(candidate.channel, 'failed', null, candidate.providers.length ? 'all_providers_failed' : 'no_provider');
      continue;
    }
    record(candidate.channel, 'sent', provider, undefined, content);
    if (action.method === 'single') break;
  }
  return { result, log };
}
