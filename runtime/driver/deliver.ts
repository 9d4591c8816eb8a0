/**
 * Carries out a `send` action: logs the channels the engine ruled out as `skipped`, then renders and hands
 * each candidate to its providers in failover order. Messages are logged into the turn (`ctx.log`) and
 * written with the run's new state in the job's transaction: a message is recorded exactly when the run
 * has moved past its step, so a retried job (whose run is still before the step) finds nothing recorded and
 * a redelivered one (already past it) never reaches this code. Each (run, step, channel) has one row.
 */
import { randomUUID } from 'node:crypto';
import type { Bundle, JsonValue } from '../../compiler/bundle/schema.ts';
import * as sql from '../db/sql.ts';
import type { SqlClient } from '../db/sql-client.ts';
import type { Action, SentMessage, UserSnapshot } from '../engine/types.ts';
import type { ProviderRegistry } from '../providers/registry.ts';
import { renderTemplate } from '../render/render.ts';

type SendAction = Extract<Action, { type: 'send' }>;

export interface DeliverContext {
  tx: SqlClient;
  bundle: Bundle;
  runId: string;
  workflow: string;
  userId: string | null;
  data: Record<string, JsonValue>;
  digest: { count: number; items: JsonValue[] } | null;
  user: UserSnapshot;
  providers: ProviderRegistry;
  publicUrl: string;
  now: number;
  /** The turn's message log, written with the run's state. */
  log: sql.MessageEntry[];
  onMessage?: (status: string, channel: string) => void;
}

type Outcome = Pick<sql.MessageEntry, 'status' | 'reason' | 'provider' | 'provider_message_id' | 'provider_response' | 'content' | 'history'>;

function logMessage(ctx: DeliverContext, action: SendAction, id: string, channel: string, outcome: Outcome) {
  ctx.log.push({ id, step_id: action.stepId, channel, workflow: ctx.workflow, template: action.template, user_id: ctx.userId, ...outcome });
}

export async function deliver(ctx: DeliverContext, action: SendAction): Promise<SentMessage[]> {
  const out: SentMessage[] = [];
  const at = new Date(ctx.now).toISOString();
  for (const skip of action.skipped) {
    const id = randomUUID();
    const history = [{ status: 'skipped', at, reason: skip.reason, ...(skip.detail === undefined ? {} : { detail: skip.detail as JsonValue }) }];
    logMessage(ctx, action, id, skip.channel, { status: 'skipped', reason: skip.reason, provider: null, provider_message_id: null, provider_response: null, content: null, history });
    out.push({ messageId: id, channel: skip.channel, status: 'skipped', reason: skip.reason });
    ctx.onMessage?.('skipped', skip.channel);
  }
  const template = ctx.bundle.templates[action.template];
  for (const candidate of action.candidates) {
    const id = randomUUID();
    const outcome = await sendOne(ctx, id, candidate, template);
    logMessage(ctx, action, id, candidate.channel, { ...outcome, history: [{ status: 'queued', at }, ...outcome.history] });
    const status = outcome.status as 'sent' | 'failed';
    out.push({ messageId: id, channel: candidate.channel, status, ...(outcome.reason ? { reason: outcome.reason } : {}) });
    ctx.onMessage?.(status, candidate.channel);
    if (action.method === 'single' && status === 'sent') break;
  }
  return out;
}

async function sendOne(
  ctx: DeliverContext,
  messageId: string,
  candidate: SendAction['candidates'][number],
  template: Bundle['templates'][string] | undefined,
): Promise<Outcome> {
  const at = () => new Date(ctx.now).toISOString();
  const fail = (reason: string, history: JsonValue[]): Outcome => ({ status: 'failed', reason, provider: null, provider_message_id: null, provider_response: null, content: null, history });
  if (!template) return fail('unknown_template', [{ status: 'failed', at: at(), reason: 'unknown_template' }]);
  // The preference center (and one-click unsubscribe landing there) for this recipient.
  const preferencesUrl = `${ctx.publicUrl}/preferences${ctx.userId ? `?user=${encodeURIComponent(ctx.userId)}` : ''}`;
  let content;
  try {
    content = renderTemplate(template, candidate.channel, {
      data: ctx.data,
      user: ctx.user,
      locale: ctx.user.locale ?? null,
      extra: {
        message_id: messageId,
        run_id: ctx.runId,
        preferences_url: preferencesUrl,
        unsubscribe_url: preferencesUrl,
        ...(ctx.digest ? { digest: ctx.digest } : {}),
      },
    });
  } catch (error) {
    return fail('render_error', [{ status: 'failed', at: at(), reason: 'render_error', detail: String(error) }]);
  }
  const attempts: JsonValue[] = [];
  for (const providerId of candidate.providers) {
    const provider = ctx.bundle.providers[providerId];
    if (!provider) continue;
    const adapter = ctx.providers.get(provider);
    let result;
    try {
      result = await adapter.send({
        messageId,
        runId: ctx.runId,
        channel: candidate.channel,
        provider,
        to: { userId: ctx.userId, email: ctx.user.email ?? null, phone_number: ctx.user.phone_number ?? null, push_tokens: ctx.user.push_tokens ?? [] },
        content,
        tx: ctx.tx,
      });
    } catch (error) {
      result = { ok: false as const, retryable: true, error: error instanceof Error ? error.message : String(error) };
    }
    if (result.ok) {
      return {
        status: 'sent',
        reason: null,
        provider: providerId,
        provider_message_id: result.providerMessageId,
        provider_response: result.response,
        content,
        history: [...attempts, { status: 'sent', at: at(), provider: providerId, adapter: adapter.kind }],
      };
    }
    attempts.push({ status: 'attempt_failed', at: at(), provider: providerId, error: result.error, retryable: result.retryable });
  }
  return fail(candidate.providers.length ? 'all_providers_failed' : 'no_provider', [...attempts, { status: 'failed', at: at() }]);
}
