/** Frequency caps set on a compiled bundle, for tests and benchmarks (no vitest needed here). */
import { sealBundle } from '../../compiler/bundle/canonical.ts';
import type { Bundle, FrequencyLimit } from '../../compiler/bundle/schema.ts';

/**
 * The bundle with `settings.limits` replaced (none: removed). Flows that send one user more than the example's
 * SMS cap (load tests, benchmarks of the seed flow) run without it, so that every run sends what it did before.
 */
export function withLimits(bundle: Bundle, limits: FrequencyLimit[] = []): Bundle {
  const { version: _version, formatVersion: _format, ...content } = bundle;
  const { limits: _limits, ...settings } = content.settings;
  return sealBundle({ ...content, settings: limits.length > 0 ? { ...settings, limits } : settings });
}
