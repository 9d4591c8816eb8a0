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

/** A signed duration (`'-3d'`, `'+2h'`, `'2h'`) in ms, reporting `invalid-duration` at `at` and returning 0 when malformed. */
export function offsetMs(ctx: LowerContext, text: unknown, at: () => SourceLocation): number {
  const written = String(text).trim();
  try {
    const ms = parseDuration(written.replace(/^[-+]/, ''));
    return written.startsWith('-') && ms !== 0 ? -ms : ms;
  } catch {
    ctx.report('invalid-duration', at(), `"${written}" is not an offset`, "write a duration with an optional sign, e.g. '-3d' (before), '2h' or '+2h' (after)");
    return 0;
  }
}
