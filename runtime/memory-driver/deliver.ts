/**
 * The in-memory driver's delivery: what the runtime's `deliver` does with a `send` action, minus the network.
 * Channels the engine ruled out are logged `skipped`; each candidate is rendered (when the driver was given a
 * renderer, so a template that breaks on this data fails here as it would in production) and handed to its
 * providers in failover order, unless one of its frequency caps is reached (counted in virtual time). One message per (step, channel), as in the runtime's log, with every provider
 * attempt it took.
 */
import type { Channel, JsonValue } from '../../compiler/bundle/schema.ts';
import { type ActionOf, type FrequencyCap, frequencySkip, type SentMessage, type TenantSnapshot, type UserSnapshot } from '../engine/index.ts';
import type { RenderedContent } from '../render/index.ts';

export interface RenderRequest {
  template: string;
  channel: Channel;
  category: string | null;
  user: UserSnapshot;
  data: Record<string, JsonValue>;
  digest: { count: number; items: JsonValue[]; omitted?: number } | null;
  messageId: string;
  runId: string;
  now: number;
  /** The run's tenant: its brand over the default one, its preference link. */
  tenant?: TenantSnapshot | null;
}

export type RenderOutcome = { ok: true; content: RenderedContent } | { ok: false; reason: 'unknown_template' | 'render_error'; detail: string };

export interface DeliveryOptions {
  /** Renders a candidate's content; without it nothing is rendered (bundles made by hand in engine tests). */
  render?: (request: RenderRequest) => RenderOutcome;
  /** The outcome of one provider attempt (default: every attempt is sent). */
  attempt?: (attempt: { runId: string; stepId: string; channel: Channel; provider: string; now: number }) => 'sent' | 'failed';
  /** A message's id (default `<run>:<step>:<channel>`). */
  messageId?: (runId: string, stepId: string, channel: Channel) => string;
}

/** One logged message: where it went, which providers were tried, and what it said when sent. */
export interface DeliveredMessage {
  messageId: string;
  stepId: string;
  template: string;
  channel: Channel;
  status: 'sent' | 'skipped' | 'failed';
  /** The provider that took it (null when skipped, unrenderable, or every provider failed). */
  provider: string | null;
  /** Why skipped or failed: `preference`, `no_address`, `render_error`, `all_providers_failed`, … */
  reason?: string;
  /** Why skipped, in more detail: the preference `rule`, the profile field it `needs`… */
  detail?: Record<string, JsonValue>;
  /** Each provider tried, in failover order, with its outcome. */
  attempts: { provider: string; outcome: 'sent' | 'failed' }[];
  content?: RenderedContent;
}

export interface SendContext {
  runId: string;
  data: Record<string, JsonValue>;
  digest: { count: number; items: JsonValue[]; omitted?: number } | null;
  user: UserSnapshot;
  now: number;
  tenant?: TenantSnapshot | null;
  /** The user's recent sends, for the candidates' frequency caps (absent: no user, or no cap in the bundle). */
  frequency?: {
    counts(caps: readonly FrequencyCap[]): number[];
    sent(channel: Channel): void;
  };
}

const defaultMessageId = (runId: string, stepId: string, channel: Channel) => `${runId}:${stepId}:${channel}`;

/** Carries out one send; returns the engine's `sendResult` messages and the messages logged, in order. */
export function deliverInMemory(options: DeliveryOptions, ctx: SendContext, action: ActionOf<'send'>): { result: SentMessage[]; logged: DeliveredMessage[] } {
  const result: SentMessage[] = [];
  const logged: DeliveredMessage[] = [];
  const messageIdOf = options.messageId ?? defaultMessageId;
  /** `why`: a skip decided here, not by the engine (a frequency cap), reported to the engine with its detail. */
  const log = (message: Omit<DeliveredMessage, 'stepId' | 'template'>, why?: Record<string, JsonValue>) => {
    const { messageId, channel, status, reason } = message;
    result.push({ messageId, channel, status, ...(reason === undefined ? {} : { reason }), ...(why ? { detail: why } : {}) });
    logged.push({ stepId: action.stepId, template: action.template, ...message });
  };
  for (const skip of action.skipped) {
    const messageId = messageIdOf(ctx.runId, action.stepId, skip.channel);
    log({
      messageId,
      channel: skip.channel,
      status: 'skipped',
      provider: null,
      reason: skip.reason,
      attempts: [],
      ...(skip.detail ? { detail: skip.detail } : {}),
    });
  }
  for (const { channel, providers, caps } of action.candidates) {
    const messageId = messageIdOf(ctx.runId, action.stepId, channel);
    const capped = caps && ctx.frequency ? frequencySkip(caps, ctx.frequency.counts(caps)) : null;
    if (capped) {
      // As no_address: `single` routing moves on to the next channel.
      log({ messageId, channel, status: 'skipped', provider: null, reason: capped.reason, detail: capped.detail, attempts: [] }, capped.detail);
      continue;
    }
    let content: RenderedContent | undefined;
    if (options.render) {
      const rendered = options.render({ ...ctx, template: action.template, channel, category: action.category, messageId });
      if (!rendered.ok) {
        // As in production: the message fails and `single` routing moves on to the next channel.
        log({ messageId, channel, status: 'failed', provider: null, reason: rendered.reason, attempts: [] });
        continue;
      }
      content = rendered.content;
    }
    const attempts: DeliveredMessage['attempts'] = [];
    for (const provider of providers) {
      const outcome = options.attempt?.({ runId: ctx.runId, stepId: action.stepId, channel, provider, now: ctx.now }) ?? 'sent';
      attempts.push({ provider, outcome });
      if (outcome === 'sent') break;
    }
    const taken = attempts.find((a) => a.outcome === 'sent');
    if (!taken) {
      log({ messageId, channel, status: 'failed', provider: null, reason: providers.length ? 'all_providers_failed' : 'no_provider', attempts });
      continue;
    }
    log({ messageId, channel, status: 'sent', provider: taken.provider, attempts, ...(content ? { content } : {}) });
    ctx.frequency?.sent(channel);
    if (action.method === 'single') break;
  }
  return { result, logged };
}
