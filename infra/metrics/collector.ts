/**
 * One collection round of the metrics sidecar: the runtime's counters (as deltas since the last round) and
 * the backlog, as one EMF record. Either half may fail on its own (the runtime still starting, the
 * database away for a moment); what was read is still published, and the errors are handed back.
 */
import type { EmfRecord } from './emf.ts';
import { METRICS, NAMESPACE, SERVICE_DIMENSION } from './names.ts';
import { parsePrometheus, sumOf, type Sample } from './prometheus.ts';
import type { Backlog } from './queue.ts';

export interface CollectorSources {
  /** The runtime's /metrics text. */
  scrape(): Promise<string>;
  backlog(): Promise<Backlog>;
  service: string;
  now?: () => number;
}

interface Counters {
  attempts: number;
  failures: number;
  messagesFailed: number;
}

function counters(samples: Sample[]): Counters {
  return {
    attempts: sumOf(samples, 'herald_provider_attempts_total'),
    failures: sumOf(samples, 'herald_provider_attempts_total', { outcome: 'failed' }),
    messagesFailed: sumOf(samples, 'herald_messages_total', { status: 'failed' }),
  };
}

/** A counter that went down means the runtime restarted: everything it counts since is new. */
function delta(now: number, before: number): number {
  return now >= before ? now - before : now;
}

export interface Round {
  record: EmfRecord | null;
  errors: unknown[];
}

export function createCollector(sources: CollectorSources) {
  let previous: Counters | null = null;
  const now = sources.now ?? Date.now;
  return {
    async collect(): Promise<Round> {
      const values: EmfRecord['values'] = {};
      const units: EmfRecord['units'] = {};
      const errors: unknown[] = [];
      const [scraped, backlog] = await Promise.allSettled([sources.scrape(), sources.backlog()]);
      if (scraped.status === 'fulfilled') {
        const current = counters(parsePrometheus(scraped.value));
        // The first round has nothing to subtract: publishing the totals would spike the failure rate.
        if (previous) {
          values[METRICS.sendAttempts] = delta(current.attempts, previous.attempts);
          values[METRICS.sendFailures] = delta(current.failures, previous.failures);
          values[METRICS.messagesFailed] = delta(current.messagesFailed, previous.messagesFailed);
          units[METRICS.sendAttempts] = units[METRICS.sendFailures] = units[METRICS.messagesFailed] = 'Count';
        }
        previous = current;
      } else errors.push(scraped.reason);
      if (backlog.status === 'fulfilled') {
        values[METRICS.queueDepth] = backlog.value.queueDepth;
        values[METRICS.queueOldestAgeSeconds] = backlog.value.queueOldestAgeSeconds;
        values[METRICS.ingestBacklog] = backlog.value.ingestBacklog;
        values[METRICS.ingestOldestAgeSeconds] = backlog.value.ingestOldestAgeSeconds;
        units[METRICS.queueDepth] = units[METRICS.ingestBacklog] = 'Count';
        units[METRICS.queueOldestAgeSeconds] = units[METRICS.ingestOldestAgeSeconds] = 'Seconds';
      } else errors.push(backlog.reason);
      const record = Object.keys(values).length
        ? { namespace: NAMESPACE, dimensions: { [SERVICE_DIMENSION]: sources.service }, values, units, timestamp: now() }
        : null;
      return { record, errors };
    },
  };
}
