/**
 * A fetch step's URL, as both the compiler (compiler/lower/fetch.ts, which checks the URL as written) and the engine
 * (runtime/engine/fetch.ts, which builds it from the trigger's data) read it: one pattern for a `{{field}}` variable
 * and one origin rule, so that what the compiler accepts is what the engine builds.
 */

/** A `{{field}}` variable in a fetch step's URL (global: use with `replace` or `matchAll`). */
export const URL_VARIABLE = /\{\{\s*([^{}\s]*)\s*\}\}/g;

/** The URL's origin (scheme, host and port), or null when it does not parse. */
export function originOf(url: string): string | null {
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}
