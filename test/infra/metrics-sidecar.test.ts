/**
 * The metrics sidecar (infra/metrics): what reaches CloudWatch for the failed-send and backlog alarms.
 * Counters come from the runtime's real /metrics, the backlog from a real pg-boss queue and ingest table,
 * and each round is one embedded-metric-format line.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createCollector } from '../../infra/metrics/collector.ts';
import { emfLine } from '../../infra/metrics/emf.ts';
import { readSidecarConfig, runSidecar } from '../../infra/metrics/main.ts';
import { METRICS, NAMESPACE } from '../../infra/metrics/names.ts';
import { parsePrometheus, sumOf } from '../../infra/metrics/prometheus.ts';
import { readBacklog } from '../../infra/metrics/queue.ts';
import { upgradeSchema } from '../../runtime/db/schema.ts';
import { openDatabase } from '../../runtime/db/pool.ts';
import { createBoss, ensureQueue, RUN_QUEUE } from '../../runtime/execution/queue.ts';
import { createMetrics } from '../../runtime/metrics.ts';
import { freshDatabase } from '../setup/database.ts';
import { eventually, startTestRuntime } from '../runtime/harness.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
});

describe('reading the runtime’s counters', () => {
  it('parses prom-client output, labels and all', async () => {
    const metrics = createMetrics();
    metrics.observeProvider('sendgrid', true, 12, 'closed');
    metrics.observeProvider('sendgrid', false, 30, 'closed');
    metrics.observeProvider('twilio', false, 30, 'open');
    metrics.messages.inc({ status: 'failed', channel: 'sms' });
    metrics.messages.inc({ status: 'sent', channel: 'email' });
    const samples = parsePrometheus(await metrics.registry.metrics());
    expect(sumOf(samples, 'herald_provider_attempts_total')).toBe(3);
    expect(sumOf(samples, 'herald_provider_attempts_total', { outcome: 'failed' })).toBe(2);
    expect(sumOf(samples, 'herald_provider_attempts_total', { provider: 'sendgrid', outcome: 'failed' })).toBe(1);
    expect(sumOf(samples, 'herald_messages_total', { status: 'failed' })).toBe(1);
  });

  it('reads escaped label values and skips what it does not understand', () => {
    const samples = parsePrometheus('# HELP x y\nx{a="q\\"uo,te",b="2"} 4 1700000000\nbroken{ 1\ny 2.5\n');
    expect(samples).toEqual([
      { name: 'x', labels: { a: 'q"uo,te', b: '2' }, value: 4 },
      { name: 'y', labels: {}, value: 2.5 },
    ]);
  });
});

describe('one collection round', () => {
  const exposition = (attempts: number, failed: number, messagesFailed: number) =>
    [
      `herald_provider_attempts_total{provider="sendgrid",outcome="ok"} ${attempts - failed}`,
      `herald_provider_attempts_total{provider="sendgrid",outcome="failed"} ${failed}`,
      `herald_messages_total{status="failed",channel="email"} ${messagesFailed}`,
    ].join('\n');
  const backlog = { queueDepth: 7, queueOldestAgeSeconds: 42.5, ingestBacklog: 1, ingestOldestAgeSeconds: 3 };

  it('publishes counter deltas from the second round on, and treats a drop as a restart', async () => {
    const texts = [exposition(10, 2, 1), exposition(25, 5, 2), exposition(4, 1, 0)];
    const collector = createCollector({
      service: 'herald-test',
      scrape: async () => texts.shift()!,
      backlog: async () => backlog,
      now: () => 1_700_000_000_000,
    });
    const first = await collector.collect();
    expect(first.record?.values).toEqual({ QueueDepth: 7, QueueOldestAgeSeconds: 42.5, IngestBacklog: 1, IngestOldestAgeSeconds: 3 });
    const second = await collector.collect();
    expect(second.record?.values).toMatchObject({ SendAttempts: 15, SendFailures: 3, MessagesFailed: 1 });
    const third = await collector.collect();
    expect(third.record?.values).toMatchObject({ SendAttempts: 4, SendFailures: 1, MessagesFailed: 0 });
  });

  it('publishes what it could read when one source fails, and reports the error', async () => {
    const collector = createCollector({ service: 's', scrape: async () => Promise.reject(new Error('connection refused')), backlog: async () => backlog });
    const round = await collector.collect();
    expect(round.errors.map(String)).toEqual(['Error: connection refused']);
    expect(Object.keys(round.record!.values)).toEqual([
      METRICS.queueDepth,
      METRICS.queueOldestAgeSeconds,
      METRICS.ingestBacklog,
      METRICS.ingestOldestAgeSeconds,
    ]);
    const none = createCollector({ service: 's', scrape: async () => Promise.reject(new Error('a')), backlog: async () => Promise.reject(new Error('b')) });
    expect((await none.collect()).record).toBeNull();
  });

  it('writes a valid EMF document: every declared metric is a root number, every dimension a root string', () => {
    const line = emfLine({
      namespace: NAMESPACE,
      dimensions: { Service: 'herald-prod' },
      values: { QueueDepth: 3, SendFailures: 1 },
      units: { QueueDepth: 'Count', SendFailures: 'Count' },
      timestamp: 1_700_000_000_000,
    });
    expect(line).not.toContain('\n');
    const doc = JSON.parse(line);
    const directive = doc._aws.CloudWatchMetrics[0];
    expect(doc._aws.Timestamp).toBe(1_700_000_000_000);
    expect(directive.Namespace).toBe('Herald');
    expect(directive.Dimensions).toEqual([['Service']]);
    for (const dimension of directive.Dimensions.flat()) expect(typeof doc[dimension]).toBe('string');
    for (const metric of directive.Metrics) expect(typeof doc[metric.Name]).toBe('number');
    expect(directive.Metrics).toEqual([
      { Name: 'QueueDepth', Unit: 'Count' },
      { Name: 'SendFailures', Unit: 'Count' },
    ]);
  });
});

describe('the backlog, from PostgreSQL', () => {
  it('counts due run jobs (not deferred timers) and queued ingest rows, with their ages', async () => {
    const url = await freshDatabase('sidecar_backlog');
    const db = openDatabase(url, { max: 2 });
    cleanups.push(() => db.close());
    await upgradeSchema(db);
    const boss = createBoss(url, () => {});
    await boss.start();
    cleanups.push(() => boss.stop({ graceful: false }));
    await ensureQueue(boss, 0);
    expect(await readBacklog(db, RUN_QUEUE)).toEqual({ queueDepth: 0, queueOldestAgeSeconds: 0, ingestBacklog: 0, ingestOldestAgeSeconds: 0 });
    await boss.send(RUN_QUEUE, { runId: 'a' });
    await boss.send(RUN_QUEUE, { runId: 'b' }, { startAfter: new Date(Date.now() + 3_600_000) });
    await db.query(`INSERT INTO herald.ingest (event, user_id, properties, created_at) VALUES ('e', 'u', '{}', now() - interval '90 seconds')`);
    const backlog = await readBacklog(db, RUN_QUEUE);
    expect(backlog.queueDepth).toBe(1);
    expect(backlog.queueOldestAgeSeconds).toBeGreaterThanOrEqual(0);
    expect(backlog.queueOldestAgeSeconds).toBeLessThan(60);
    expect(backlog.ingestBacklog).toBe(1);
    expect(backlog.ingestOldestAgeSeconds).toBeGreaterThanOrEqual(90);
  });
});

describe('the sidecar beside a running runtime', () => {
  it('needs the database and its service name', () => {
    expect(() => readSidecarConfig({})).toThrow('DATABASE_URL and HERALD_METRICS_SERVICE must be set');
    expect(readSidecarConfig({ DATABASE_URL: 'postgres://x', HERALD_METRICS_SERVICE: 's', PORT: '8080' }).metricsUrl).toBe('http://127.0.0.1:8080/metrics');
  });

  it('writes one EMF line a round, with the send failures that happened in between', async () => {
    // The sidecar scrapes /metrics on its own port (the API's needs a key), as the task definition sets it up.
    const runtime = await startTestRuntime('sidecar_live', { metricsPort: 0 });
    cleanups.push(() => runtime.stop());
    const lines: string[] = [];
    const sidecar = runSidecar({ databaseUrl: runtime.db.url, service: 'herald-test', metricsUrl: `${runtime.metricsUrl}/metrics`, intervalMs: 300 }, (line) =>
      lines.push(line),
    );
    cleanups.push(() => sidecar.stop());
    await eventually('the first round', async () => lines.length >= 1);
    runtime.metrics.observeProvider('sendgrid', false, 10, 'closed');
    runtime.metrics.observeProvider('sendgrid', true, 10, 'closed');
    const withFailure = await eventually('a round that saw the failure', async () =>
      lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((doc) => doc.SendFailures === 1),
    );
    expect(withFailure).toMatchObject({ Service: 'herald-test', SendAttempts: 2, QueueDepth: expect.any(Number) });
  });
});
