/**
 * How many live inbox streams one process holds open: per user and in all. Every stream is a connection,
 * a subscriber woken on each change and a comparison query every 30 s, so one end-user token must not be
 * able to open enough of them to crowd out the workers' share of the database pool.
 *
 * Read once, when the routes are built: a bad value stops the runtime at start with the variable named,
 * rather than surfacing later as a stream refused for no visible reason.
 */
import { z } from 'zod';

export const DEFAULT_MAX_STREAMS_PER_USER = 5;
export const DEFAULT_MAX_STREAMS = 1_000;

export interface InboxLimits {
  /** `HERALD_INBOX_MAX_STREAMS_PER_USER`: open streams of one user in this process (tabs, devices). */
  maxStreamsPerUser: number;
  /** `HERALD_INBOX_MAX_STREAMS`: open streams in this process, all users together. */
  maxStreams: number;
}

const count = z.coerce.number().int().min(1).max(1_000_000);

function readCount(env: NodeJS.ProcessEnv, name: string, what: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const parsed = count.safeParse(raw.trim());
  if (!parsed.success) throw new Error(`${name} "${raw}" is not a whole number from 1 to 1000000 (${what}; default ${fallback})`);
  return parsed.data;
}

export function readInboxLimits(env: NodeJS.ProcessEnv): InboxLimits {
  return {
    maxStreamsPerUser: readCount(env, 'HERALD_INBOX_MAX_STREAMS_PER_USER', 'open inbox streams per user and process', DEFAULT_MAX_STREAMS_PER_USER),
    maxStreams: readCount(env, 'HERALD_INBOX_MAX_STREAMS', 'open inbox streams per process', DEFAULT_MAX_STREAMS),
  };
}
