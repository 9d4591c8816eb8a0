/**
 * What the pg-boss driver needs from the process around it, built once by `startRuntime` after every piece
 * exists: first `ExecutionDeps` (what advancing runs needs), then the local starts made from it, then
 * `DriverDeps`, which adds them for the intake. Each piece takes the narrow part it uses.
 */
import type { PgBoss } from 'pg-boss';
import type { BundleStore } from '../bundles.ts';
import type { Redaction } from '../config.ts';
import type { ProviderRegistry } from '../delivery/providers/registry.ts';
import type { ReceiptBook } from '../delivery/receipts.ts';
import type { LinkSigner } from '../render/index.ts';
import type { LocalStarts } from './local-starts.ts';

/** What applying facts to runs needs: the queue, the bundles, delivery, a clock. */
export interface ExecutionDeps {
  boss: PgBoss;
  bundles: BundleStore;
  providers: ProviderRegistry;
  /**
   * Base URL the outside world reaches this runtime at (links in messages, provider callbacks). Read when
   * used: with an ephemeral port it is known only once the server listens.
   */
  readonly publicUrl: string;
  /** Signs the links messages carry (one-click unsubscribe). */
  links: LinkSigner;
  /** What the message log leaves out. */
  redact: Redaction;
  /** Clock for facts; tests may pin it. */
  now: () => number;
  /**
   * Where provider acceptances are recorded the moment they happen (delivery/receipts.ts), so a job retried
   * after its process died does not send them again. Absent: the batch's commit is the only record.
   */
  receipts?: ReceiptBook;
  observe?: {
    message?(status: string, channel: string): void;
    runFinished?(status: string): void;
  };
}

/** The driver as the doors and the scheduler use it: execution, and where accepted runs are started. */
export interface DriverDeps extends ExecutionDeps {
  /**
   * Where runs this process accepts are started right after their commit (local-starts.ts); without it (a
   * driver outside a runtime, HERALD_LOCAL_STARTS=off) every start is a job in the queue.
   */
  readonly starts?: LocalStarts;
}

/** What accepting work needs (intake/runs.ts): the queue, the bundles, the clock, local starts. */
export type AcceptanceDeps = Pick<DriverDeps, 'boss' | 'bundles' | 'now' | 'starts'>;

/** What recording a message's status needs (status/): the queue (an engagement wakes its run), bundles, clock. */
export type StatusDeps = Pick<DriverDeps, 'boss' | 'bundles' | 'now'>;
