/**
 * Carries out a `send` action: logs the channels the engine ruled out as `skipped`, then renders and hands
 * each candidate to its providers in failover order. Each (run, step, channel) has one message row, claimed
 * before any provider call: a retried job finds it and never sends a message that was already recorded.
 */
import { randomUUID } from 'node:crypto';
import type { Bundle, JsonValue } from '../../compiler/bundle/schema.ts';
import * as sql from '../db/sql.ts';
import { exec, one, type SqlClient } from '../db/sql-client.ts';
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
  onMessage?: (status: string, channel: string) => void;
}

const DONE = new Set(['sent', 'delivered', 'opened', 'clicked', 'skipped', 'bounced', 'undeliverable']);

async function claim(ctx: DeliverContext, action: SendAction, channel: string, status: string, reason: string | null, detail?: JsonValue) {
  const at = new Date(ctx.now).toISOString();
  return one<sql.MessageRow & { fresh: boolean }>(
    ctx.tx,
    sql.claimMessage({
      id: randomUUID(),
      runId: ctx.runId,
      stepId: action.stepId,
      channel,
      workflow: ctx.workflow,
      template: action.template,
      userId: ctx.userId,
      status,
      reason,
      history: [{ status, at, ...(reason ? { reason } : {}), ...(detail === undefined ? {} : { detail }) }],
    }),
  );
}

export async function deliver(ctx: DeliverContext, action: SendAction): Promise<SentMessage[]> {
  const out: SentMessage[] = [];
  for (const skip of action.skipped) {
    const row = (await claim(ctx, action, skip.channel, 'skipped', skip.reason, (skip.detail ?? null) as JsonValue))!;
    out.push({ messageId: row.id, channel: skip.channel, status: 'skipped', reason: skip.reason });
    if (row.fresh) ctx.onMessage?.('skipped', skip.channel);
  }
  const template = ctx.bundle.templates[action.template];
  for (const candidate of action.candidates) {
    const row = (await claim(ctx, action, candidate.channel, 'queued', null))!;
    if (!row.fresh && DONE.has(row.status)) {
      // A retried job: this channel was already handled and recorded.
      const status = row.status === 'skipped' ? 'skipped' : 'sent';
      out.push({ messageId: row.id, channel: candidate.channel, status });
      if (action.method === 'single' && status === 'sent') break;
      continue;
    }
    const result = await sendOne(ctx, row.id, candidate, template);
    out.push({ messageId: row.id, channel: candidate.channel, status: result.status, ...(result.reason ? { reason: result.reason } : {}) });
    ctx.onMessage?.(result.status, candidate.channel);
    if (action.method === 'single' && result.status === 'sent') break;
  }
  return out;
}

async function sendOne(
  ctx: DeliverContext,
  messageId: string,
  candidate: SendAction['candidates'][number],
  template: Bundle['templates'][string] | undefined,
): Promise<{ status: 'sent' | 'failed'; reason?: string }> {
  const at = () => new Date(ctx.now).toISOString();
  const fail = async (reason: string, history: JsonValue[]) => {
    await exec(ctx.tx, sql.recordMessage(messageId, { status: 'failed', reason, provider: null, providerMessageId: null, providerResponse: null, content: null, history }));
    return { status: 'failed' as const, reason };
  };
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
      await exec(
        ctx.tx,
        sql.recordMessage(messageId, {
          status: 'sent',
          reason: null,
          provider: providerId,
          providerMessageId: result.providerMessageId,
          providerResponse: result.response,
          content,
          history: [...attempts, { status: 'sent', at: at(), provider: providerId, adapter: adapter.kind }],
        }),
      );
      return { status: 'sent' };
    }
    attempts.push({ status: 'attempt_failed', at: at(), provider: providerId, error: result.error, retryable: result.retryable });
  }
  return fail(candidate.providers.length ? 'all_providers_failed' : 'no_provider', [...attempts, { status: 'failed', at: at() }]);
}
