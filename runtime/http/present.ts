/** How rows look on the wire: camelCase, ISO times, nothing internal. */
import type * as sql from '../db/sql.ts';

export function presentMessage(m: sql.MessageRow) {
  return {
    id: m.id,
    runId: m.run_id,
    workflow: m.workflow,
    step: m.step_id,
    channel: m.channel,
    provider: m.provider,
    template: m.template,
    userId: m.user_id,
    // Only for a message sent for a tenant (runtime/tenants): other answers keep their shape.
    ...(m.tenant_id ? { tenant: m.tenant_id } : {}),
    status: m.status,
    reason: m.reason,
    history: m.history,
    providerMessageId: m.provider_message_id,
    providerResponse: m.provider_response,
    content: m.content,
    createdAt: m.created_at.toISOString(),
    updatedAt: m.updated_at.toISOString(),
  };
}

export function presentRun(r: sql.RunRow) {
  const state = r.state as { cursor?: unknown; waiting?: unknown; history?: unknown[]; sends?: unknown; engagements?: unknown; data?: unknown };
  return {
    id: r.id,
    workflow: r.workflow,
    bundleVersion: r.bundle_version,
    userId: r.user_id,
    status: r.status,
    trigger: r.trigger_event,
    data: state.data,
    currentStep: (state.waiting as { stepId?: string } | null)?.stepId ?? null,
    waiting: state.waiting ?? null,
    sends: state.sends ?? {},
    engagements: state.engagements ?? {},
    history: state.history ?? [],
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}
