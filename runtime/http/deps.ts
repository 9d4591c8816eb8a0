import type { Database } from '../db/pool.ts';
import type { DriverDeps } from '../driver/context.ts';
import type { Metrics } from '../metrics.ts';

/** What the HTTP layer needs from the runtime. */
export interface AppDeps {
  db: Database;
  driver: DriverDeps;
  metrics: Metrics;
  apiKey: string;
  log: (error: unknown) => void;
}
