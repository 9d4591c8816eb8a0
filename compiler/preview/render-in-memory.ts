/**
 * The in-memory driver's renderer for the PR tools (`herald test`, `herald replay`): the runtime's
 * renderTemplate with the same built-ins the runtime's deliver passes, links signed as the preview signs them.
 * A template that cannot render fails the message as it would in production (`render_error`), and SMS
 * segment counts are those the carrier would bill.
 */
import type { Bundle } from '../bundle/schema.ts';
import type { RenderOutcome, RenderRequest } from '../../runtime/memory-driver/index.ts';
import { renderTemplate } from '../../runtime/render/index.ts';
import { builtinValues } from './builtins.ts';

export interface InMemoryRenderOptions {
  bundle: Bundle;
  publicUrl: string;
  /** The `now` built-ins see, from the virtual clock's epoch ms (the simulator gives time since the trigger). */
  clock?: (now: number) => number;
}

export function inMemoryRenderer(options: InMemoryRenderOptions): (request: RenderRequest) => RenderOutcome {
  const { bundle, publicUrl, clock = (now) => now } = options;
  return (request) => {
    const template = bundle.templates[request.template];
    if (!template) return { ok: false, reason: 'unknown_template', detail: `no template "${request.template}"` };
    const extra = builtinValues({
      bundle,
      publicUrl,
      userId: request.user.id,
      category: request.category,
      channel: request.channel,
      messageId: request.messageId,
      runId: request.runId,
      digest: request.digest,
      tenantBrand: request.tenant?.brand ?? null,
      tenantId: request.tenant?.id ?? null,
      now: clock(request.now),
    });
    try {
      return {
        ok: true,
        content: renderTemplate(template, request.channel, { data: request.data, user: request.user, locale: request.user.locale ?? null, extra }),
      };
    } catch (error) {
      return { ok: false, reason: 'render_error', detail: error instanceof Error ? error.message : String(error) };
    }
  };
}
