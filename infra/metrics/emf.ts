/**
 * CloudWatch embedded metric format: one JSON log line that CloudWatch Logs turns into metrics as it
 * ingests it. The sidecar writes it to stdout, the awslogs driver ships it, and CloudWatch extracts the
 * metrics (no agent, no PutMetricData permission) — see infra/README.md, "Metrics".
 */
import type { MetricName } from './names.ts';

export interface EmfRecord {
  namespace: string;
  dimensions: Record<string, string>;
  values: Partial<Record<MetricName, number>>;
  units: Partial<Record<MetricName, 'Count' | 'Seconds'>>;
  timestamp: number;
}

export function emfLine(record: EmfRecord): string {
  const names = Object.keys(record.values) as MetricName[];
  const document = {
    _aws: {
      Timestamp: record.timestamp,
      CloudWatchMetrics: [
        {
          Namespace: record.namespace,
          Dimensions: [Object.keys(record.dimensions)],
          Metrics: names.map((name) => ({ Name: name, Unit: record.units[name] ?? 'None' })),
        },
      ],
    },
    ...record.dimensions,
    ...record.values,
  };
  return JSON.stringify(document);
}
