/** Prometheus metrics (prom-client): what an operator graphs and alerts on. One registry per runtime. */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'herald_process_' });
  return {
    registry,
    triggers: new Counter({ name: 'herald_triggers_total', help: 'Triggers accepted, by source and outcome', labelNames: ['source', 'outcome'], registers: [registry] }),
    runsStarted: new Counter({ name: 'herald_runs_started_total', help: 'Workflow runs started', labelNames: ['workflow'], registers: [registry] }),
    runsFinished: new Counter({ name: 'herald_runs_finished_total', help: 'Workflow runs finished, by status', labelNames: ['status'], registers: [registry] }),
    messages: new Counter({ name: 'herald_messages_total', help: 'Messages logged, by status and channel', labelNames: ['status', 'channel'], registers: [registry] }),
    httpDuration: new Histogram({
      name: 'herald_http_request_duration_seconds',
      help: 'HTTP request duration, by route and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
