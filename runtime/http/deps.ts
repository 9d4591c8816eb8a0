import type { Audit, AuditRecorder } from '../audit/audit.ts';
import type { Database } from '../db/pool.ts';
import type { ApiKey } from './api-keys.ts';
import type { DriverDeps } from '../execution/deps.ts';
import type { Intake } from '../intake/index.ts';
import type { FanoutDeps } from '../recipients/index.ts';
import type { Metrics } from '../metrics.ts';

/** What the HTTP layer needs from the runtime. */
export interface AppDeps {
  /** The primary: every write, every read of the engine, sessions, the inbox. */
  db: Database;
  /**
   * The read replica (DATABASE_READ_URL), when one is set: read-only routes reach it through http/reads.ts only.
   * Absent: they read `db`.
   */
  readDb?: Database;
  driver: DriverDeps;
  /** Where every trigger comes in (runtime/intake/): group commit, Idempotency-Key claims. */
  intake: Intake;
  /** What fan-outs need (runtime/recipients/), with the audience hook when wired; absent: `{ driver }` (lists only). */
  fanouts?: FanoutDeps;
  metrics: Metrics;
  /** The first admin key: what the dashboard login takes when HERALD_DASHBOARD_PASSWORD is unset. */
  apiKey: string;
  /** Every accepted API key, with its name and scope. */
  apiKeys: readonly ApiKey[];
  /** HERALD_SIGNING_SECRET (or the development one): signs links and dashboard sessions. */
  signingSecret: string;
  /** The audit log (runtime/audit/). */
  auditLog: Audit;
  log: (error: unknown) => void;
  /** Provider webhook settings: SENDGRID_WEBHOOK_PUBLIC_KEY, the Twilio auth tokens, HERALD_SMS_HELP_TEXT. */
  env: NodeJS.ProcessEnv;
  /** True once the process has been asked to stop (`/readyz` answers 503). */
  stopping?: () => boolean;
  /** Where dashboard logins and logouts are recorded in place of `auditLog` (tests watch them here). */
  audit?: AuditRecorder;
}
