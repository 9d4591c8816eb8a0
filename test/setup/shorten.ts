/** Shortened waits, for tests and benchmarks that run real workflows in seconds (no vitest needed here). */
import { sealBundle } from '../../compiler/bundle/canonical.ts';
import type { Bundle, Step } from '../../compiler/bundle/schema.ts';

/** Every wait of the bundle scaled to `to` ms per hour (delays, wait timeouts, digest windows). */
export function shorten(bundle: Bundle, msPerHour = 1_000): Bundle {
  const scale = (ms: number) => Math.max(200, Math.round((ms / 3_600_000) * msPerHour));
  const walk = (steps: Step[]): Step[] =>
    steps.map((step) => {
      switch (step.kind) {
        case 'delay':
          return { ...step, durationMs: scale(step.durationMs) };
        case 'waitFor':
          return { ...step, timeoutMs: scale(step.timeoutMs) };
        case 'digest':
          return { ...step, windowMs: scale(step.windowMs) };
        case 'branch':
          return { ...step, arms: step.arms.map((a) => ({ ...a, steps: walk(a.steps) })), otherwise: walk(step.otherwise) };
        default:
          return step;
      }
    });
  const { version: _version, formatVersion: _format, ...content } = bundle;
  const workflows = Object.fromEntries(Object.entries(content.workflows).map(([id, w]) => [id, { ...w, steps: walk(w.steps) }]));
  return sealBundle({ ...content, workflows });
}
