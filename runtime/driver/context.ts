import type { PgBoss } from 'pg-boss';
import type { BundleStore } from '../bundles.ts';
import type { Redaction } from '../config.ts';
import type { LinkSigner } from '../render/index.ts';
import type { ProviderRegistry } from '../providers/registry.ts';
import type { LocalStarts } from './local-starts.ts';

/** What the driver needs from the process around it. */
export interface DriverDeps {
  boss: PgBoss;
  bundles: BundleStore;
  providers: ProviderRegistry;
  /** Base URL the outside world reaches this runtime at (links in messages, provider callbacks). */
  publicUrl: string;
  /** Signs the links messages carry (one-click unsubscribe). */
  links: LinkSigner;
  /** What the message log leaves out. */
  redact: Redaction;
  /**
   * Where runs this process accepts are started right after their commit (local-starts.ts); without it (a
   * driver outside a runtime, HERALD_LOCAL_STARTS=off) every start is a job in the queue.
   */
  starts?: LocalStarts;
  /** Clock for facts; tests may pin it. */
  now: () => number;
  observe?: {
    message?(status: string, channel: string): void;
    runFinished?(status: string): void;
  };
}
