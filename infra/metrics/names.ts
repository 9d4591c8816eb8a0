/**
 * The custom CloudWatch metrics the sidecar publishes, by name: one list shared by the sidecar that emits
 * them and the Pulumi program that alarms and scales on them, so the two cannot drift apart.
 */
export const NAMESPACE = 'Herald';

/** Every metric carries this one dimension: the ECS service's name (one stack, one service). */
export const SERVICE_DIMENSION = 'Service';

export const METRICS = {
  /** Provider send attempts in the period (each retry counts), from herald_provider_attempts_total. */
  sendAttempts: 'SendAttempts',
  /** Of those, the ones that failed (outcome="failed"). */
  sendFailures: 'SendFailures',
  /** Messages that ended failed in the period (every provider and fallback exhausted), from herald_messages_total. */
  messagesFailed: 'MessagesFailed',
  /** Run-queue jobs due now and not yet picked up (deferred timers excluded). */
  queueDepth: 'QueueDepth',
  /** How long the oldest of those has been due, in seconds (0 when none). */
  queueOldestAgeSeconds: 'QueueOldestAgeSeconds',
  /** Events the typed client queued in herald.ingest and the runtime has not accepted yet. */
  ingestBacklog: 'IngestBacklog',
  /** The oldest of those, in seconds. */
  ingestOldestAgeSeconds: 'IngestOldestAgeSeconds',
} as const;

export type MetricName = (typeof METRICS)[keyof typeof METRICS];
