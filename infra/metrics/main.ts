/**
 * The metrics sidecar: runs beside `herald start` in the same ECS task (same image), and once a period
 * writes one EMF line to stdout with the send counters scraped from the runtime's /metrics and the backlog
 * read from PostgreSQL. CloudWatch Logs extracts the metrics; the stack alarms and scales on them.
 *
 *   node infra/metrics/main.ts
 *
 * Environment: DATABASE_URL (required; DATABASE_DIRECT_URL instead when set), HERALD_METRICS_SERVICE (the metrics' Service dimension, required),
 * HERALD_METRICS_URL (default http://127.0.0.1:$HERALD_METRICS_PORT/metrics, else $PORT), HERALD_METRICS_INTERVAL_MS (default 60000).
 */
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { RUN_QUEUE } from '../../runtime/execution/queue.ts';
import { createCollector } from './collector.ts';
import { emfLine } from './emf.ts';
import { readBacklog } from './queue.ts';

export interface SidecarConfig {
  databaseUrl: string;
  service: string;
  metricsUrl: string;
  intervalMs: number;
}

export function readSidecarConfig(env: NodeJS.ProcessEnv): SidecarConfig {
  const missing = ['DATABASE_URL', 'HERALD_METRICS_SERVICE'].filter((name) => !env[name]);
  if (missing.length) throw new Error(`herald-metrics: ${missing.join(' and ')} must be set`);
  const intervalMs = Number(env.HERALD_METRICS_INTERVAL_MS ?? 60_000);
  if (!Number.isFinite(intervalMs) || intervalMs < 100)
    throw new Error(`herald-metrics: HERALD_METRICS_INTERVAL_MS "${env.HERALD_METRICS_INTERVAL_MS}" is not a period in ms`);
  return {
    // Past a transaction pooler when there is one: the pool below sets statement_timeout at connection start,
    // which PgBouncer refuses (DATABASE_DIRECT_URL: runtime/README.md, "Through a connection pooler").
    databaseUrl: env.DATABASE_DIRECT_URL || env.DATABASE_URL!,
    service: env.HERALD_METRICS_SERVICE!,
    // The runtime's own metrics port when it has one (no key needed there), else the API's port.
    metricsUrl: env.HERALD_METRICS_URL ?? `http://127.0.0.1:${env.HERALD_METRICS_PORT ?? env.PORT ?? 3000}/metrics`,
    intervalMs,
  };
}

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));

export function runSidecar(config: SidecarConfig, write: (line: string) => void = (line) => process.stdout.write(`${line}\n`)) {
  // One connection is plenty for two small queries a minute, and leaves the runtime its pool.
  const pool = new pg.Pool({ connectionString: config.databaseUrl, max: 1, connectionTimeoutMillis: 5_000, statement_timeout: 10_000 });
  pool.on('error', () => {}); // an idle connection dropped: the next round reconnects
  const collector = createCollector({
    service: config.service,
    scrape: async () => {
      const response = await fetch(config.metricsUrl, { signal: AbortSignal.timeout(5_000) });
      if (!response.ok) throw new Error(`${config.metricsUrl} answered ${response.status}`);
      return response.text();
    },
    backlog: () => readBacklog(pool, RUN_QUEUE),
  });
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;
  const round = async () => {
    const { record, errors } = await collector.collect();
    if (record) write(emfLine(record));
    for (const error of errors) process.stderr.write(`herald-metrics: ${describe(error)}\n`);
    if (!stopped) timer = setTimeout(round, config.intervalMs);
  };
  void round();
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await pool.end();
    },
  };
}

// Run as a program (the task's command), not when a test imports it.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const sidecar = runSidecar(readSidecarConfig(process.env));
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void sidecar.stop().then(() => process.exit(0)));
}
