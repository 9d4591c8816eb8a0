/**
 * Starts a runtime: Postgres (embedded unless DATABASE_URL is set), Herald's tables, the bundle, pg-boss
 * workers that drive the engine, and the HTTP API. Many runtimes may share one database; each fact job is
 * done by exactly one of them.
 */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Bundle } from '../compiler/bundle/schema.ts';
import { BundleStore, readBundleFile } from './bundles.ts';
import { readConfig, type RuntimeConfig } from './config.ts';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './db/embedded.ts';
import { migrate } from './db/migrate.ts';
import { openDatabase, type Database } from './db/pool.ts';
import type { DriverDeps } from './driver/context.ts';
import { syncSchedules, workSchedules } from './driver/schedules.ts';
import { createBoss, DEAD_QUEUE, ensureQueue, RUN_QUEUE, workOptions } from './driver/queue.ts';
import { deadLetterHandler, factHandler } from './driver/worker.ts';
import { createLocalStarts, type LocalStarts } from './driver/local-starts.ts';
import { createSlots, withSlots } from './driver/slots.ts';
import { createApp } from './http/app.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { startIngestConsumer } from './driver/ingest-queue.ts';
import { createLinkSigner } from './links.ts';
import { createProviderHealth, DEFAULT_BREAKER } from './providers/health.ts';
import { createProviderRegistry } from './providers/registry.ts';
import type { SandboxDelivery } from './providers/sandbox.ts';
import { logSandboxDelivery, type Logger } from './log.ts';
import type { DeliveryProvider } from './providers/types.ts';

export interface StartOptions extends Partial<RuntimeConfig> {
  /** A bundle already in memory (tests); otherwise read from `bundlePath`. */
  bundle?: Bundle;
  /** Run the HTTP API (default) or only the workers. */
  http?: boolean;
  env?: NodeJS.ProcessEnv;
  /** Where the runtime logs (pino): errors it survives, sandbox deliveries, bundles going live. Silent when unset. */
  log?: Logger;
  onSandboxDelivery?: (delivery: SandboxDelivery) => void;
  /** Errors the runtime survives (a failed job, a lost connection); logged (or written to stderr) when unset. */
  onError?: (error: unknown) => void;
  /** Adapters by provider id, in place of the ones the registry picks (fake providers in tests). */
  adapters?: Record<string, DeliveryProvider>;
  now?: () => number;
}

export interface Runtime {
  url: string;
  apiKey: string;
  config: RuntimeConfig;
  db: Database;
  metrics: Metrics;
  deps: DriverDeps;
  /** Loads a bundle (a file path or a parsed bundle) and makes it live; runs in flight keep theirs. */
  loadBundle(source: string | Bundle): Promise<Bundle>;
  stop(): Promise<void>;
  embedded: boolean;
  providerLines: string[];
}

/** How long in-flight jobs get to finish at stop before pg-boss hands them back (and their sends stop). */
const DRAIN_TIMEOUT_MS = 15_000;
/** How long open connections get to finish their requests at stop before they are cut. */
const HTTP_GRACE_MS = 5_000;

/** A line for the log: pg-boss reports some errors as plain objects, which String() renders as "[object Object]". */
function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'object' && error !== null) {
    const message = (error as { message?: unknown }).message;
    return typeof message === 'string' ? message : JSON.stringify(error);
  }
  return String(error);
}

/** Stops accepting connections, closes the idle ones now and the rest after a grace period. */
async function closeServer(server: { close(cb: () => void): void; closeIdleConnections?(): void; closeAllConnections?(): void } | null): Promise<void> {
  if (!server) return;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections?.();
  const cut = setTimeout(() => server.closeAllConnections?.(), HTTP_GRACE_MS);
  await closed;
  clearTimeout(cut);
}

export async function startRuntime(options: StartOptions = {}): Promise<Runtime> {
  const config = readConfig(options.env ?? process.env, options);
  const log = options.log;
  const onError =
    options.onError ??
    (log
      ? (error: unknown) => log.error({ err: error }, describeError(error))
      : (error: unknown) => process.stderr.write(`herald: ${describeError(error)}\n`));
  let embedded: EmbeddedDatabase | null = null;
  if (!config.databaseUrl) embedded = await startEmbeddedPostgres(config.dataDir, log ? { log: (line) => log.warn(line) } : {});
  const url = config.databaseUrl ?? embedded!.url;
  const db = openDatabase(url, { max: 20 });
  try {
    await migrate(db);
    const bundle = options.bundle ?? (await readBundleFile(config.bundlePath));
    const boss = createBoss(url, (error) => onError(error));
    await boss.start();
    await ensureQueue(boss, bundle.settings.retentionMs);
    const bundles = new BundleStore();
    await db.transaction((tx) => bundles.activate(tx, bundle));
    const metrics = createMetrics();
    const providers = createProviderRegistry({
      env: options.env ?? process.env,
      onSandboxDelivery: (delivery) => {
        if (log) logSandboxDelivery(log, delivery);
        options.onSandboxDelivery?.(delivery);
      },
      ...(options.adapters ? { adapters: options.adapters } : {}),
      health: createProviderHealth(DEFAULT_BREAKER, (provider, ok, latencyMs, state) => metrics.observeProvider(provider, ok, latencyMs, state)),
    });

    let server: ReturnType<typeof serve> | null = null;
    let stopped = false;
    let publicUrl = config.publicUrl ?? `http://localhost:${config.port}`;
    const deps: DriverDeps = {
      boss,
      bundles,
      providers,
      get publicUrl() {
        return publicUrl;
      },
      links: createLinkSigner(config.signingSecret),
      redact: config.redact,
      now: options.now ?? Date.now,
      observe: {
        message: (status, channel) => metrics.messages.inc({ status, channel }),
        runFinished: (status) => metrics.runsFinished.inc({ status }),
      },
    };

    // The queue's batches and local starts share the process's jobs in flight (HERALD_WORKERS).
    const slots = createSlots(config.workers);
    const fetch = workOptions(config.workers);
    await boss.work(RUN_QUEUE, fetch, withSlots(slots, factHandler(db, deps, onError)));
    const starts: LocalStarts | null = config.localStarts
      ? createLocalStarts(db, deps, {
          slots,
          batchSize: fetch.batchSize,
          capacity: config.workers * 32,
          onError,
          onHandOver: (reason, count) => {
            metrics.startsHandedOver.inc({ reason }, count);
            // A sweep means a process (this one before a restart, or another) died or failed its starts.
            if (reason === 'sweep') log?.warn({ runs: count }, `${count} run start${count === 1 ? '' : 's'} left pending past the lease handed to the queue`);
          },
        })
      : null;
    if (starts) {
      deps.starts = starts;
      metrics.watchLocalStarts(() => starts.pending);
    }
    await boss.work(DEAD_QUEUE, { batchSize: 16, pollingIntervalSeconds: 5 }, deadLetterHandler(db, deps, onError));
    // Cron workflows of the bundle we start with, and the retention clean-up; loadBundle re-syncs them.
    await syncSchedules(boss, bundle);
    await workSchedules(boss, db, deps, onError);
    const ingest = startIngestConsumer(db, deps, onError);

    let listening = '';
    if (options.http !== false) {
      const app = createApp({ db, driver: deps, metrics, apiKey: config.apiKey, log: onError, env: options.env ?? process.env, stopping: () => stopped });
      server = await new Promise<ReturnType<typeof serve>>((resolve) => {
        const s = serve({ fetch: app.fetch, port: config.port, hostname: '0.0.0.0' }, () => resolve(s));
      });
      // Once stopping, every answer closes its connection: a client on a kept-alive connection would
      // otherwise hold the server open (and keep bringing work) for as long as it keeps sending.
      server.on('request', (_req: unknown, res: { shouldKeepAlive: boolean }) => {
        if (stopped) res.shouldKeepAlive = false;
      });
      const port = (server.address() as AddressInfo).port;
      listening = `http://localhost:${port}`;
      if (!config.publicUrl) publicUrl = listening;
    }

    return {
      url: listening,
      apiKey: config.apiKey,
      config,
      db,
      metrics,
      deps,
      embedded: embedded !== null,
      providerLines: providers.describe(Object.values(bundle.providers)),
      async loadBundle(source) {
        const next = typeof source === 'string' ? await readBundleFile(source) : source;
        await ensureQueue(boss, next.settings.retentionMs);
        await db.transaction((tx) => bundles.activate(tx, next));
        await syncSchedules(boss, next);
        return next;
      },
      async stop() {
        if (stopped) return;
        stopped = true;
        // The HTTP server and the workers wind down together: requests in flight are answered (with
        // `Connection: close`) while in-flight jobs finish, or are handed back at the drain deadline.
        // Local starts take no more runs: those not begun, and those of requests still being answered, become
        // start jobs; those in flight get the same drain time as the queue's.
        await Promise.all([
          closeServer(server),
          starts?.stop(DRAIN_TIMEOUT_MS),
          ingest.stop().then(() => boss.stop({ graceful: true, timeout: DRAIN_TIMEOUT_MS })),
        ]);
        await providers.close();
        await db.close();
        if (embedded) await embedded.stop();
      },
    };
  } catch (error) {
    await db.close().catch(() => {});
    if (embedded) await embedded.stop().catch(() => {});
    throw error;
  }
}
