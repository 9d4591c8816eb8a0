/**
 * Which environment variables a fetch step may send as a header. A header written `env('NAME')` is read from the
 * runtime's own environment and sent to the fetch's host: without a rule, a workflow could send the database
 * password or a provider's API key to any URL. Herald's own settings (HERALD_*, DATABASE_*, SEGMENT_*) and every
 * variable a provider reads its credentials from are refused, in both drivers and at each attempt.
 */
import { credentialVariables } from './credentials.ts';
import type { Bundle } from './schema.ts';

/** Prefixes of the runtime's own settings and secrets. */
export const RESERVED_ENV_PREFIXES = ['HERALD_', 'DATABASE_', 'SEGMENT_'] as const;

/**
 * Why a fetch header may not read `name`, or null when it may. Without `bundle` only the prefix rule applies
 * (the pg-boss worker's second check, which has no bundle at hand).
 */
export function fetchEnvProblem(name: string, bundle?: Pick<Bundle, 'providers'>): string | null {
  const prefix = RESERVED_ENV_PREFIXES.find((p) => name.startsWith(p));
  if (prefix) return `${name} is one of the runtime's own settings (${prefix}*): a fetch header never reads it; give the API its own variable`;
  if (bundle && credentialVariables(bundle).has(name))
    return `${name} holds a provider's credentials: a fetch header never reads it; give the API its own variable`;
  return null;
}
