/**
 * Exit codes and the usage error, in a module of their own: `herald start` imports them without loading the
 * compiler (TypeScript's checker costs a process start almost half a second).
 */
export const EXIT = { ok: 0, problems: 1, usage: 2 } as const;

/** A mistake in how the command was called (a missing folder, a bad flag value): exit 2 with the message. */
export class UsageError extends Error {
  override name = 'UsageError';
}
