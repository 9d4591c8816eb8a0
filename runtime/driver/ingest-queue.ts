/** Events enqueued by the typed client inside the customer's own transaction (to be built). */
import type { Database } from '../db/pool.ts';
import type { DriverDeps } from './context.ts';

export function startIngestConsumer(_db: Database, _deps: DriverDeps, _onError: (error: unknown) => void): { stop(): Promise<void> } {
  return { stop: async () => {} };
}
