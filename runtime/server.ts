/**
 * Starts a runtime: Postgres (embedded unless DATABASE_URL is set), Herald's tables, the bundle, pg-boss
 * workers that drive the engine, and the HTTP API. Many runtimes may share one database; each fact job is
 * done by exactly one of them.
 */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Bundle } from '../compiler/bundle/schema.ts';
import { BundleStore, readBundleFile } from './bundles.ts';
import { ConfigError, readConfig, type RuntimeConfig } from './config.ts';
import { type OutboundPolicy, outboundPolicy } from './outbound/guard.ts';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './db/embedded.ts';
import { upgradeSchema } from './db/schema.ts';
import { RECEIPT_CONNECTIONS, receiptBook } from './delivery/receipts.ts';
import { openDatabase, type Database } from './db/pool.ts';
import { openReadReplica, replicaStatus } from './db/read-replica.ts';
import type { DriverDeps, ExecutionDeps } from './execution/deps.ts';
import { syncSchedules, workSchedules } from './execution/schedules.ts';
import { createBoss, DEAD_QUEUE, ensureQueue, RUN_QUEUE, workOptions } from './execution/queue.ts';
import { startFetchWorker } from './execution/fetch-step.ts';
import { deadLetterHandler, factHandler } from './execution/worker.ts';
import { createLocalStarts, type LocalStarts } from './execution/local-starts.ts';
import { createSlots, withSlots } from './execution/slots.ts';
import { createApp, createMetricsApp } from './http/app.ts';
import type { AppDeps } from './http/deps.ts';
import { createAudit } from './audit/audit.ts';
import { clientAddress, trustedProxiesFrom } from './http/client-address.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { createIntake, startIngestConsumer } from './intake/index.ts';
import { type Outbox, startOutbox } from './outbox/index.ts';
import { type FanoutDeps, workFanouts } from './recipients/index.ts';
import { fanoutDeps } from './broadcasts/fanouts.ts';
import { createLinkSigner } from './render/index.ts';
import { createProviderHealth, DEFAULT_BREAKER } from './delivery/providers/health.ts';
import { createProviderRegistry } from './delivery/providers/registry.ts';
import type { SandboxDelivery } from './delivery/providers/sandbox.ts';
import { logSandboxDelivery, type Logger } from './log.ts';
import type { DeliveryProvider } from './delivery/providers/types.ts';

export interface StartOptions extends Partial<RuntimeConfig> {
  /** `herald dev`: the development key and a generated signing secret are allowed whatever the database. */
  development?: boolean;
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
  /** What the HTTP API is built from: tests build apps of their own on the same runtime with it. */
  appDeps: AppDeps;
  config: RuntimeConfig;
  db: Database;
  metrics: Metrics;
  deps: DriverDeps;
  /** Loads a bundle (a file path or a parsed bundle) and makes it live; runs in flight keep theirs. */
  loadBundle(source: string | Bundle): Promise<Bundle>;
  stop(): Promise<void>;
  embedded: boolean;
  providerLines: string[];
  /** `/metrics` on its own port (`metricsPort`), or null when it is served on the API's port behind a read key. */
  metricsUrl: string | null;
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

/**
 * A request must arrive whole within REQUEST_TIMEOUT_MS (its headers within HEADERS_TIMEOUT_MS): a client that
 * trickles a body a byte at a time (slowloris) holds a socket and a handler for no longer than that. Answers
 * that stream (the inbox's live stream) are not requests and are not cut.
 */
const HEADERS_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 30_000;

function listen(fetch: (request: Request) => Response | Promise<Response>, port: number, hostname: string): Promise<ReturnType<typeof serve>> {
  return new Promise((resolve, reject) => {
    const s = serve(
      { fetch, port, hostname, serverOptions: { headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS, connectionsCheckingInterval: 2_000 } },
      () => resolve(s),
    );
    s.once('error', reject);
  });
}

export async function startRuntime(options: StartOptions = {}): Promise<Runtime> {
  const env = options.env ?? process.env;
  const config = readConfig(env, options);
  // One outbound guard policy for everything that calls a team's URLs (webhook channel, fetch step, outbox), from
  // the runtime's own mode. A malformed HERALD_OUTBOUND_ALLOW stops the start, naming the entry.
  let outbound: OutboundPolicy;
  try {
    outbound = outboundPolicy(env, config.mode);
  } catch (error) {
    throw new ConfigError(error instanceof Error ? error.message : String(error));
  }
  const log = options.log;
  const onError =
    options.onError ??
    (log ? (error: unknown) => log.error({ err: error }, describeError(error)) : (error: unknown) => process.stderr.write(`herald: ${describeError(error)}\n`));
  let embedded: EmbeddedDatabase | null = null;
  if (!config.databaseUrl) embedded = await startEmbeddedPostgres(config.dataDir, log ? { log: (line) => log.warn(line) } : {});
  const url = config.databaseUrl ?? embedded!.url;
  // With DATABASE_DIRECT_URL, DATABASE_URL is a transaction pooler: what holds a session connects straight to
  // PostgreSQL (runtime/README.md, "Through a connection pooler"); without it, `url` is PostgreSQL and holds them.
  const directUrl = config.databaseDirectUrl ?? undefined;
  const sessionUrl = directUrl ?? url;
  const db = openDatabase(url, { max: 20, ...(directUrl ? { directUrl } : {}) });
  // Send receipts have connections of their own: a receipt never waits for one behind the batches that hold the
  // pool, and its commit does not wait for the WAL flush (a process crash keeps it; only a database crash in
  // the next ~200 ms could lose it, which leaves that message the window it had before receipts). Straight to
  // PostgreSQL when there is a pooler: there a receipt would wait for a server connection behind the batches
  // that wait for it, and the pooler refuses the setting.
  const receiptsDb = config.sendReceipts ? openDatabase(sessionUrl, { max: RECEIPT_CONNECTIONS, settings: { synchronous_commit: 'off' } }) : null;
  // Read-only routes read the replica when one is set (http/reads.ts); nothing else is handed this pool.
  const readDb = config.databaseReadUrl ? openReadReplica(config.databaseReadUrl) : null;
  let startedBoss: ReturnType<typeof createBoss> | null = null;
  let stopOutbox: (() => Promise<void>) | null = null;
  try {
    await upgradeSchema(db);
    const bundle = options.bundle ?? (await readBundleFile(config.bundlePath));
    const boss = createBoss(url, (error) => onError(error), directUrl);
    startedBoss = boss;
    await boss.start();
    await ensureQueue(boss, bundle.settings.retentionMs);
    // Before any fact is worked: a batch enqueues fetch jobs, so their queue must exist.
    await startFetchWorker(boss, env, options.now ?? Date.now, outbound);
    const bundles = new BundleStore();
    await db.transaction((tx) => bundles.activate(tx, bundle));
    const metrics = createMetrics();
    const providers = createProviderRegistry({
      env,
      policy: outbound,
      onSandboxDelivery: (delivery) => {
        if (log) logSandboxDelivery(log, delivery);
        options.onSandboxDelivery?.(delivery);
      },
      ...(options.adapters ? { adapters: options.adapters } : {}),
      health: createProviderHealth(DEFAULT_BREAKER, (provider, ok, latencyMs, state) => metrics.observeProvider(provider, ok, latencyMs, state)),
    });

    let server: ReturnType<typeof serve> | null = null;
    let metricsServer: ReturnType<typeof serve> | null = null;
    let stopped = false;
    let publicUrl = config.publicUrl ?? `http://localhost:${config.port}`;
    const shared = {
      boss,
      bundles,
      providers,
      links: createLinkSigner(config.signingSecret),
      redact: config.redact,
      now: options.now ?? Date.now,
      ...(receiptsDb ? { receipts: receiptBook(receiptsDb, onError) } : {}),
      observe: {
        message: (status: string, channel: string) => metrics.messages.inc({ status, channel }),
        runFinished: (status: string) => metrics.runsFinished.inc({ status }),
      },
    };
    // Read when used: with PORT=0 the URL is known only once the server listens (below).
    const execution: ExecutionDeps = {
      ...shared,
      get publicUrl() {
        return publicUrl;
      },
    };

    // The queue's batches and local starts share the process's jobs in flight (HERALD_WORKERS).
    const slots = createSlots(config.workers);
    const fetch = workOptions(config.workers);
    await boss.work(RUN_QUEUE, fetch, withSlots(slots, factHandler(db, execution, onError)));
    const starts: LocalStarts | null = config.localStarts
      ? createLocalStarts(db, execution, {
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
    if (starts) metrics.watchLocalStarts(() => starts.pending);
    if (readDb) metrics.watchReadReplica(() => replicaStatus(readDb));
    // The driver as the doors and the scheduler see it, complete: execution and the local starts.
    const deps: DriverDeps = {
      ...shared,
      get publicUrl() {
        return publicUrl;
      },
      ...(starts ? { starts } : {}),
    };
    await boss.work(DEAD_QUEUE, { batchSize: 16, pollingIntervalSeconds: 5 }, deadLetterHandler(db, execution, onError));
    // Cron workflows of the bundle we start with, and the retention clean-up; loadBundle re-syncs them.
    await syncSchedules(boss, bundle);
    await workSchedules(boss, db, deps, onError);
    // Fan-outs (lists, patterns, audiences): their page jobs, and the deps the doors create them with.
    // The audience reader wired in (runtime/broadcasts/fanouts.ts): pages of an audience read its SQL.
    const fanouts: FanoutDeps = fanoutDeps(deps);
    await workFanouts(boss, db, fanouts, onError);
    // One intake per runtime: its groups and their connections are shared by every door.
    const intake = createIntake(db, deps);
    const ingest = startIngestConsumer(db, intake, bundles, onError);
    // Lifecycle events' delivery workers (runtime/outbox/): a pool and a loop of their own, apart from the sends.
    const outbox: Outbox = await startOutbox({ db, env, onError });
    stopOutbox = () => outbox.stop();

    const auditLog = createAudit(db, { onError, clientAddress: (c) => clientAddress(c, trustedProxiesFrom(env)) });
    const appDeps: AppDeps = {
      db,
      ...(readDb ? { readDb } : {}),
      driver: deps,
      intake,
      fanouts,
      metrics,
      apiKey: config.apiKey,
      apiKeys: config.apiKeys,
      signingSecret: config.signingSecret,
      auditLog,
      log: onError,
      env,
      stopping: () => stopped,
    };
    let listening = '';
    if (options.http !== false) {
      const app = createApp(appDeps);
      server = await listen(app.fetch, config.port, config.host);
      if (config.metricsPort !== null) metricsServer = await listen(createMetricsApp({ metrics, log: onError }).fetch, config.metricsPort, config.metricsHost);
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
      appDeps,
      config,
      db,
      metrics,
      deps,
      embedded: embedded !== null,
      providerLines: providers.describe(Object.values(bundle.providers)),
      metricsUrl: metricsServer
        ? `http://${config.metricsHost.includes(':') ? `[${config.metricsHost}]` : config.metricsHost}:${(metricsServer.address() as AddressInfo).port}`
        : null,
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
          closeServer(metricsServer),
          starts?.stop(DRAIN_TIMEOUT_MS),
          ingest.stop().then(() => boss.stop({ graceful: true, timeout: DRAIN_TIMEOUT_MS })),
        ]);
        await outbox.stop();
        await providers.close();
        await Promise.all([db.close(), receiptsDb?.close(), readDb?.close()]);
        if (embedded) await embedded.stop();
      },
    };
  } catch (error) {
    // A start that fails part-way (a bundle refused at activation, a port in use) leaves nothing running.
    await startedBoss?.stop({ graceful: false, timeout: 1_000 }).catch(() => {});
    await stopOutbox?.().catch(() => {});
    await Promise.all([db.close().catch(() => {}), receiptsDb?.close().catch(() => {}), readDb?.close().catch(() => {})]);
    if (embedded) await embedded.stop().catch(() => {});
    throw error;
  }
}
