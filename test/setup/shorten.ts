/** Shortened waits, for tests and benchmarks that run real workflows in seconds (no vitest needed here). */
import { sealBundle } from '../../compiler/bundle/canonical.ts';
import type { Bundle, Step } from '../../compiler/bundle/schema.ts';
import { DEFAULT_ADDRESS_GRACE_MS } from '../../runtime/engine/index.ts';

/**
 * Every wait of the bundle scaled to `to` ms per hour (delays, wait timeouts, digest windows, the address grace). Waits for a moment
 * (a delay until a date-time, a digest on a schedule) are absolute times and stay as they are.
 */
export function shorten(bundle: Bundle, msPerHour = 1_000): Bundle {
  const scale = (ms: number) => Math.max(200, Math.round((ms / 3_600_000) * msPerHour));
  const walk = (steps: Step[]): Step[] =>
    steps.map((step) => {
      switch (step.kind) {
        case 'delay':
          return 'durationMs' in step ? { ...step, durationMs: scale(step.durationMs) } : step;
        case 'waitFor':
          return { ...step, timeoutMs: scale(step.timeoutMs) };
        case 'digest':
          return 'windowMs' in step ? { ...step, windowMs: scale(step.windowMs) } : step;
        case 'branch':
          return { ...step, arms: step.arms.map((a) => ({ ...a, steps: walk(a.steps) })), otherwise: walk(step.otherwise) };
        default:
          return step;
      }
    });
  const { version: _version, formatVersion: _format, ...content } = bundle;
  const workflows = Object.fromEntries(Object.entries(content.workflows).map(([id, w]) => [id, { ...w, steps: walk(w.steps) }]));
  // The address grace is a wait too (written even where the engine's default applied): 0 stays off.
  const grace = content.settings.addressGrace ?? DEFAULT_ADDRESS_GRACE_MS;
  const settings = { ...content.settings, addressGrace: grace === 0 ? 0 : scale(grace) };
  return sealBundle({ ...content, settings, workflows });
}
