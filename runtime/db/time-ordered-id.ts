/**
 * Ids that carry their creation time: UUIDv7 (RFC 9562), monotonic within a process (the `uuid` package
 * counts within a millisecond), so ids made in order sort in order. Messages and inbox items use them: the
 * partition a row lives in follows from its id (db/partitions.ts), and a retried send that keeps its message
 * id keeps its partition.
 */
import { validate, v7, version } from 'uuid';

export const newTimeOrderedId = (): string => v7();

/** The creation time an id carries; null for ids made before Herald used UUIDv7 (random, version 4). */
export function timeOfId(id: string): Date | null {
  if (!validate(id) || version(id) !== 7) return null;
  return new Date(Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16));
}
