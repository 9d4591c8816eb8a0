/**
 * What a replayed send would contain, rendered by the runtime's renderTemplate with the same built-ins the
 * deliver step passes, so that SMS segment counts are those the carrier would bill and a template that
 * cannot render fails the message as it would in production (`render_error`).
 */
import type { Bundle, Channel, JsonValue } from '../bundle/schema.ts';
import type { UserSnapshot } from '../../runtime/engine/types.ts';
import { renderTemplate, smsSegments, type RenderedContent, type SmsSegments } from '../../runtime/render/index.ts';
import { builtinValues } from '../preview/builtins.ts';

export interface RenderContext {
  bundle: Bundle;
  publicUrl: string;
  template: string;
  channel: Channel;
  category: string | null;
  user: UserSnapshot;
  data: Record<string, JsonValue>;
  digest: { count: number; items: JsonValue[] } | null;
  messageId: string;
  runId: string;
  now: number;
}

export type RenderOutcome = { ok: true; sms: SmsSegments | null } | { ok: false; reason: 'unknown_template' | 'render_error'; detail: string };

export function renderForReplay(ctx: RenderContext): RenderOutcome {
  const template = ctx.bundle.templates[ctx.template];
  if (!template) return { ok: false, reason: 'unknown_template', detail: `no template "${ctx.template}"` };
  const extra = builtinValues({
    bundle: ctx.bundle,
    publicUrl: ctx.publicUrl,
    userId: ctx.user.id,
    category: ctx.category,
    channel: ctx.channel,
    messageId: ctx.messageId,
    runId: ctx.runId,
    digest: ctx.digest,
    now: ctx.now,
  });
  try {
    const content = renderTemplate(template, ctx.channel, { data: ctx.data, user: ctx.user, locale: ctx.user.locale ?? null, extra });
    return { ok: true, sms: ctx.channel === 'sms' ? smsSegments((content as RenderedContent<'sms'>).body) : null };
  } catch (error) {
    return { ok: false, reason: 'render_error', detail: error instanceof Error ? error.message : String(error) };
  }
}
