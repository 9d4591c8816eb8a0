/** Prometheus metrics (prom-client): what an operator graphs and alerts on. One registry per runtime. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const BREAKER_STATES = { closed: 0, 'half-open': 1, open: 2 } as const;

/** What the replica gauges show (db/read-replica.ts's ReplicaStatus, without importing the database layer). */
interface ReplicaReading {
  reachable: boolean;
  lagSeconds: number | null;
}

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'herald_process_' });
  const providerAttempts = new Counter({
    name: 'herald_provider_attempts_total',
    help: 'Provider send attempts, by provider and outcome',
    labelNames: ['provider', 'outcome'],
    registers: [registry],
  });
  const providerLatency = new Histogram({
    name: 'herald_provider_latency_seconds',
    help: 'Provider send latency, by provider',
    labelNames: ['provider'],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  let localStartsPending: () => number = () => 0;
  new Gauge({
    name: 'herald_local_starts_pending',
    help: 'Runs this process accepted and is about to start itself (waiting or in flight)',
    registers: [registry],
    collect() {
      this.set(localStartsPending());
    },
  });
  const providerBreaker = new Gauge({
    name: 'herald_provider_circuit_state',
    help: 'Circuit breaker per provider: 0 closed, 1 half-open, 2 open',
    labelNames: ['provider'],
    registers: [registry],
  });
  return {
    observeProvider(provider: string, ok: boolean, latencyMs: number, state: keyof typeof BREAKER_STATES) {
      providerAttempts.inc({ provider, outcome: ok ? 'ok' : 'failed' });
      providerLatency.observe({ provider }, latencyMs / 1000);
      providerBreaker.set({ provider }, BREAKER_STATES[state]);
    },
    webhooks: new Counter({
      name: 'herald_webhook_events_total',
      help: 'Provider webhook events, by provider and outcome',
      labelNames: ['provider', 'outcome'],
      registers: [registry],
    }),
    registry,
    triggers: new Counter({
      name: 'herald_triggers_total',
      help: 'Triggers accepted, by source and outcome',
      labelNames: ['source', 'outcome'],
      registers: [registry],
    }),
    runsStarted: new Counter({ name: 'herald_runs_started_total', help: 'Workflow runs started', labelNames: ['workflow'], registers: [registry] }),
    runsFinished: new Counter({ name: 'herald_runs_finished_total', help: 'Workflow runs finished, by status', labelNames: ['status'], registers: [registry] }),
    /** Reads the local starts' queue (execution/local-starts.ts) at each scrape. */
    watchLocalStarts(pending: () => number) {
      localStartsPending = pending;
    },
    /**
     * Reports the read replica (DATABASE_READ_URL) at each scrape, asking `reading` once per scrape. Its gauges
     * exist only from this call on: a runtime without a replica shows none (an unlabelled gauge always has a value).
     */
    watchReadReplica(reading: () => Promise<ReplicaReading>) {
      // A scrape calls every gauge's collect in one synchronous pass: the two share the question asked in it.
      let asked: Promise<ReplicaReading> | null = null;
      const current = () => {
        if (!asked) {
          asked = reading();
          setImmediate(() => {
            asked = null;
          });
        }
        return asked;
      };
      new Gauge({
        name: 'herald_read_replica_up',
        help: 'The read replica (DATABASE_READ_URL) answered: 1, or 0',
        registers: [registry],
        async collect() {
          this.set((await current()).reachable ? 1 : 0);
        },
      });
      new Gauge({
        name: 'herald_read_replica_lag_seconds',
        help: 'How far the read replica is behind the primary (0: it has applied all the WAL it received; an estimate; NaN: unknown)',
        registers: [registry],
        async collect() {
          this.set((await current()).lagSeconds ?? Number.NaN);
        },
      });
    },
    readFallbacks: new Counter({
      name: 'herald_read_fallbacks_total',
      help: 'Lookups by id the read replica could not answer, read on the primary: the row was not replayed there yet (missing), or the replica was unreachable',
      labelNames: ['reason'],
      registers: [registry],
    }),
    startsHandedOver: new Counter({
      name: 'herald_starts_handed_over_total',
      help: 'Local starts given to the queue as start jobs: by a sweep (their process died or failed them) or at stop',
      labelNames: ['reason'],
      registers: [registry],
    }),
    messages: new Counter({
      name: 'herald_messages_total',
      help: 'Messages logged, by status and channel',
      labelNames: ['status', 'channel'],
      registers: [registry],
    }),
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
