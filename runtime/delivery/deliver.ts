/**
 * Carries out a `send` action: logs the channels the engine ruled out as `skipped`, then renders and hands
 * each candidate to its providers in failover order (a candidate over one of its frequency caps is skipped). Messages are logged into the turn (`ctx.log`) and
 * written with the run's new state in the job's transaction: a message is recorded exactly when the run
 * has moved past its step, so a retried job (whose run is still before the step) finds nothing recorded and
 * a redelivered one (already past it) never reaches this code. Each (run, step, channel) has one row.
 */
import type { Brand, Bundle, JsonValue } from '../../compiler/bundle/schema.ts';
import * as sql from '../db/sql.ts';
import { exec, type SqlClient } from '../db/sql-client.ts';
import type { Action, SentMessage, UserSnapshot } from '../engine/index.ts';
import { inboxOn } from '../inbox/store.ts';
import type { ProviderRegistry } from './providers/registry.ts';
import { recordOptOut } from './opt-out.ts';
import type { Redaction } from '../config.ts';
import { type LinkSigner, renderTemplate, templateBuiltins } from '../render/index.ts';
import { failpoint } from '../failpoints.ts';
import { sendWithFailover, type FailoverOutcome } from './failover.ts';
import { receiptKey, type ReceiptBook, type ReceiptRow, type RunReceipts } from './receipts.ts';
import { newTimeOrderedId } from '../db/time-ordered-id.ts';
import type { Admission, FrequencyLedger } from './frequency.ts';

type SendAction = Extract<Action, { type: 'send' }>;

export interface DeliverContext {
  tx: SqlClient;
  bundle: Bundle;
  runId: string;
  workflow: string;
  userId: string | null;
  data: Record<string, JsonValue>;
  digest: { count: number; items: JsonValue[]; omitted?: number } | null;
  user: UserSnapshot;
  /** The run's tenant: its brand over the bundle's default brand, its inbox. Absent or null: none. */
  tenant?: { id: string; brand: Brand } | null;
  providers: ProviderRegistry;
  publicUrl: string;
  links: LinkSigner;
  redact: Redaction;
  now: number;
  /** The wall clock, for times of provider attempts (they take a while). */
  clock: () => number;
  /** The turn's message log, written with the run's state. */
  log: sql.MessageEntry[];
  /**
   * Send receipts (receipts.ts): those an earlier batch of this run left (its process died before its commit),
   * and where to record new acceptances. Absent: no receipts.
   */
  receipts?: { left: RunReceipts; book?: ReceiptBook };
  /** Counts the user's recent sends for the candidates' frequency caps (frequency.ts); one per transaction. */
  frequency?: FrequencyLedger;
  /** Aborted at the end of a stopping process's drain time (see failover.ts). */
  signal?: AbortSignal;
  onMessage?: (status: string, channel: string) => void;
}

type Outcome = Pick<sql.MessageEntry, 'status' | 'reason' | 'provider' | 'provider_message_id' | 'provider_response' | 'content' | 'history'>;

function logMessage(ctx: DeliverContext, action: SendAction, id: string, channel: string, outcome: Outcome) {
  ctx.log.push({
    id,
    step_id: action.stepId,
    channel,
    workflow: ctx.workflow,
    template: action.template,
    user_id: ctx.userId,
    category: action.category,
    ...outcome,
  });
}

function logSkip(
  ctx: DeliverContext,
  action: SendAction,
  id: string,
  channel: string,
  skip: { reason: string; detail?: Record<string, JsonValue> },
  at: string,
) {
  logMessage(ctx, action, id, channel, {
    status: 'skipped',
    reason: skip.reason,
    provider: null,
    provider_message_id: null,
    provider_response: null,
    content: null,
    history: [{ status: 'skipped', at, reason: skip.reason, ...(skip.detail === undefined ? {} : { detail: skip.detail }) }],
  });
}

/** The candidate's frequency caps, counted for its user: null when none applies (no cap, no user, no ledger). */
async function admit(ctx: DeliverContext, action: SendAction, candidate: SendAction['candidates'][number]): Promise<Admission | null> {
  if (!candidate.caps || !ctx.frequency || !ctx.userId) return null;
  return ctx.frequency.admit({ userId: ctx.userId, channel: candidate.channel, category: action.category }, candidate.caps, ctx.now);
}

export async function deliver(ctx: DeliverContext, action: SendAction): Promise<SentMessage[]> {
  const out: SentMessage[] = [];
  const at = new Date(ctx.now).toISOString();
  for (const skip of action.skipped) {
    const id = newTimeOrderedId();
    logSkip(ctx, action, id, skip.channel, skip, at);
    out.push({ messageId: id, channel: skip.channel, status: 'skipped', reason: skip.reason });
    ctx.onMessage?.('skipped', skip.channel);
  }
  const template = ctx.bundle.templates[action.template];
  for (const candidate of action.candidates) {
    const receipt = ctx.receipts?.left.get(receiptKey(action.stepId, candidate.channel));
    const id = receipt?.message_id ?? newTimeOrderedId();
    // A message a provider already took (its receipt) went out whatever the count says now.
    const admission = receipt ? null : await admit(ctx, action, candidate);
    if (admission?.skip) {
      // As no_address: `single` routing moves on to the next channel.
      logSkip(ctx, action, id, candidate.channel, admission.skip, at);
      out.push({ messageId: id, channel: candidate.channel, status: 'skipped', reason: admission.skip.reason, detail: admission.skip.detail });
      ctx.onMessage?.('skipped', candidate.channel);
      continue;
    }
    const outcome = await sendOne(ctx, action, id, candidate, template, receipt);
    if (outcome.status !== 'sent') admission?.release();
    else if (!admission && ctx.frequency && ctx.userId)
      ctx.frequency.sent({ userId: ctx.userId, channel: candidate.channel, category: action.category }, ctx.now);
    // The receipt commits before the run's next send: a crash from here on does not send this message again.
    if (!receipt && outcome.status === 'sent') await record(ctx, action, id, candidate.channel, outcome);
    logMessage(
      ctx,
      action,
      id,
      candidate.channel,
      deliveredOnAcceptance(candidate.channel, { ...outcome, history: [{ status: 'queued', at }, ...outcome.history] }),
    );
    const status = outcome.status as 'sent' | 'failed';
    out.push({ messageId: id, channel: candidate.channel, status, ...(outcome.reason ? { reason: outcome.reason } : {}) });
    ctx.onMessage?.(status, candidate.channel);
    if (action.method === 'single' && status === 'sent') break;
  }
  return out;
}

/**
 * A webhook's 2xx is its delivery: the receiver has the message and no callback will say more, so the message is
 * logged `delivered` right away (the engine still hears `sent`: the run's step outcome is the same for every channel).
 */
function deliveredOnAcceptance(channel: string, outcome: Outcome): Outcome {
  if (channel !== 'webhook' || outcome.status !== 'sent') return outcome;
  const sent = outcome.history.at(-1) as { at?: string } | undefined;
  return { ...outcome, status: 'delivered', history: [...outcome.history, { status: 'delivered', at: sent?.at ?? new Date().toISOString() }] };
}

/**
 * The acceptance, recorded now and outside the transaction (receipts.ts). In-app messages are written in the
 * transaction itself: a retried job must write them again, so they get no receipt.
 */
async function record(ctx: DeliverContext, action: SendAction, messageId: string, channel: string, outcome: Outcome): Promise<void> {
  const book = ctx.receipts?.book;
  if (!book || channel === 'inapp' || !outcome.provider) return;
  await book.record({
    runId: ctx.runId,
    stepId: action.stepId,
    channel,
    messageId,
    provider: outcome.provider,
    providerMessageId: outcome.provider_message_id,
  });
}

async function sendOne(
  ctx: DeliverContext,
  action: SendAction,
  messageId: string,
  candidate: SendAction['candidates'][number],
  template: Bundle['templates'][string] | undefined,
  /** The acceptance an earlier attempt of this job recorded: the message is logged from it, the provider not called. */
  receipt?: ReceiptRow,
): Promise<Outcome> {
  const at = () => new Date(ctx.clock()).toISOString();
  const fail = (reason: string, history: JsonValue[]): Outcome => ({
    status: 'failed',
    reason,
    provider: null,
    provider_message_id: null,
    provider_response: null,
    content: null,
    history,
  });
  if (!template) return fail('unknown_template', [{ status: 'failed', at: at(), reason: 'unknown_template' }]);
  const { values, unsubscribeUrl } = templateBuiltins({
    bundle: ctx.bundle,
    publicUrl: ctx.publicUrl,
    links: ctx.links,
    userId: ctx.userId,
    category: action.category,
    channel: candidate.channel,
    messageId,
    runId: ctx.runId,
    digest: ctx.digest,
    tenantBrand: ctx.tenant?.brand ?? null,
    tenantId: ctx.tenant?.id ?? null,
    now: ctx.clock(),
  });
  let content;
  try {
    content = renderTemplate(template, candidate.channel, { data: ctx.data, user: ctx.user, locale: ctx.user.locale ?? null, extra: values });
  } catch (error) {
    return fail('render_error', [{ status: 'failed', at: at(), reason: 'render_error', detail: String(error) }]);
  }
  if (receipt) {
    return {
      status: 'sent',
      reason: null,
      provider: receipt.provider,
      provider_message_id: receipt.provider_message_id,
      provider_response: null,
      content: ctx.redact.content ? null : content,
      history: [{ status: 'sent', at: new Date(receipt.at).toISOString(), provider: receipt.provider, via: 'receipt' }],
    };
  }
  const order = candidate.providers.map((id) => ctx.bundle.providers[id]).filter((p) => p !== undefined);
  failpoint('send.before-provider');
  const outcome = await sendWithFailover({
    providers: ctx.providers,
    order,
    clock: ctx.clock,
    keepResponses: !ctx.redact.payloads,
    ...(ctx.signal ? { signal: ctx.signal } : {}),
    message: {
      messageId,
      runId: ctx.runId,
      channel: candidate.channel,
      to: { userId: ctx.userId, email: ctx.user.email ?? null, phone_number: ctx.user.phone_number ?? null, push_tokens: ctx.user.push_tokens ?? [] },
      content,
      inbox: inboxOn(ctx.tx, ctx.tenant?.id ?? null),
      statusCallbackUrl: `${ctx.publicUrl}/webhooks/twilio/status?message=${messageId}`,
      ...(candidate.channel === 'email' && unsubscribeUrl
        ? { headers: { 'List-Unsubscribe': `<${unsubscribeUrl}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' } }
        : {}),
    },
  });
  if (outcome.ok) failpoint('send.after-provider');
  await applyProviderFeedback(ctx, outcome);
  if (outcome.ok) {
    return {
      status: 'sent',
      reason: null,
      provider: outcome.provider.id,
      provider_message_id: outcome.providerMessageId,
      provider_response: ctx.redact.payloads ? null : outcome.response,
      content: ctx.redact.content ? null : content,
      history: [...outcome.attempts, { status: 'sent', at: at(), provider: outcome.provider.id, adapter: outcome.adapter }],
    };
  }
  return fail(outcome.reason, [...outcome.attempts, { status: 'failed', at: at(), ...(outcome.code ? { code: outcome.code } : {}) }]);
}

/**
 * What providers told us about the recipient, the one place it reaches the profile: dead push tokens leave
 * it; an opt-out a provider reported (an SMS STOP) is recorded, so later sends skip the channel.
 */
async function applyProviderFeedback(ctx: DeliverContext, outcome: FailoverOutcome) {
  if (!ctx.userId) return;
  if (outcome.invalidTokens.length) await exec(ctx.tx, sql.removePushTokens(ctx.userId, outcome.invalidTokens));
  if (!outcome.ok && outcome.optOut) await recordOptOut(ctx.tx, ctx.userId, outcome.optOut);
}
