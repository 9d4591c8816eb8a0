import { parseDuration } from '../dsl/duration.ts';
import type { SourceLocation } from '../diagnostics/diagnostic.ts';
import type { LowerContext } from './context.ts';

/** Parses a duration, reporting `invalid-duration` at `at` and returning 0 when it is malformed. */
export function durationMs(ctx: LowerContext, text: unknown, at: () => SourceLocation): number {
  try {
    return parseDuration(String(text));
  } catch (error) {
    ctx.report('invalid-duration', at(), (error as Error).message.split(';')[0]!, "write e.g. '45s', '30m', '2h' or '7d'");
    return 0;
  }
}
