/**
 * Lowers a digest: a window after its first event (`window: '1d'`), or a schedule (`{ days: 'weekdays', at:
 * '09:00', timezone: 'user' }`) whose next occurrence closes it; `maxItems` caps what the template sees.
 */
import { longestScheduleWaitMs } from '../bundle/schedule.ts';
import type { DigestStep } from '../bundle/schema.ts';
import type { SourceLocation } from '../diagnostics/diagnostic.ts';
import type { DigestSpec } from '../dsl/definitions.ts';
import { parseScheduleSpec } from '../schedule/parse.ts';
import { durationMs } from './durations.ts';
import type { WorkflowScope } from './steps.ts';

/** The lowered step and the longest it may hold a run (for the retention check). */
export function lowerDigest(scope: WorkflowScope, spec: DigestSpec, at: (...field: string[]) => () => SourceLocation): { step: DigestStep; waitMs: number } {
  const { ctx } = scope;
  const common = {
    kind: 'digest' as const,
    id: spec.id,
    ...(spec.key === undefined ? {} : { key: spec.key }),
    ...(spec.maxItems === undefined ? {} : { maxItems: checkMaxItems(scope, spec, at('maxItems')) }),
  };
  if (spec.schedule !== undefined && spec.window !== undefined) {
    ctx.report(
      'invalid-definition',
      at('schedule')(),
      `digest "${spec.id}" has both a window and a schedule`,
      "keep one: window: '1d' (from the first event) or schedule: { days, at, timezone } (at set times)",
    );
  }
  if (spec.schedule === undefined) {
    if (spec.window === undefined) {
      ctx.report(
        'invalid-definition',
        at()(),
        `digest "${spec.id}" needs a window or a schedule`,
        "add window: '1d', or schedule: { days: 'weekdays', at: '09:00', timezone: 'user' }",
      );
      return { step: { ...common, windowMs: 0 }, waitMs: 0 };
    }
    const windowMs = durationMs(ctx, spec.window, at('window'));
    return { step: { ...common, windowMs }, waitMs: windowMs };
  }
  const parsed = parseScheduleSpec(spec.schedule);
  if (!parsed.ok) {
    ctx.report('invalid-definition', at('schedule', parsed.field)(), `digest "${spec.id}" schedule ${parsed.field}: ${parsed.message}`, parsed.hint);
    return { step: { ...common, schedule: { days: [1], atMinute: 0, timezone: 'UTC' } }, waitMs: 0 };
  }
  return { step: { ...common, schedule: parsed.schedule }, waitMs: longestScheduleWaitMs(parsed.schedule) };
}

function checkMaxItems(scope: WorkflowScope, spec: DigestSpec, at: () => SourceLocation): number {
  const max = spec.maxItems;
  if (typeof max === 'number' && Number.isInteger(max) && max >= 1) return max;
  scope.ctx.report(
    'invalid-definition',
    at(),
    `digest "${spec.id}" has maxItems ${String(max)}`,
    'use a whole number of items, at least 1, or leave maxItems out to keep every item',
  );
  return 1;
}
