/**
 * The task's two containers, as ECS container definitions (a pure function of resolved values, so the
 * shape is plain to read and to test):
 * - `herald`: `herald start`, configured by environment (never a secret value: those are `secrets`, ARNs
 *   the ECS agent resolves), logging to CloudWatch;
 * - `herald-metrics`: the same image running infra/metrics/main.ts, which turns /metrics and the backlog
 *   into embedded-metric-format log lines (see infra/README.md, "Metrics").
 */
import { SERVICE_PORT } from './firewall.ts';
import { SERVICE_DIMENSION } from './metrics/names.ts';

export interface ContainerInputs {
  image: string;
  region: string;
  logGroup: string;
  /** The ECS service's name: the metrics' Service dimension. */
  serviceName: string;
  bundleUrl: string;
  publicUrl: string;
  workers: number;
  /** HERALD_METRICS_PORT: /metrics on the task's loopback, for the sidecar (the API's /metrics needs a key). */
  metricsPort: number;
  /** The sidecar's entry file inside the image. */
  metricsSidecar: string;
  environment: Record<string, string>;
  secrets: { name: string; valueFrom: string }[];
  databaseUrlSecretArn: string;
}

interface KeyValue {
  name: string;
  value: string;
}

export interface ContainerDefinition {
  name: string;
  image: string;
  essential: boolean;
  entryPoint?: string[];
  command?: string[];
  portMappings?: { containerPort: number; protocol: 'tcp' }[];
  environment: KeyValue[];
  secrets: { name: string; valueFrom: string }[];
  healthCheck?: { command: string[]; interval: number; timeout: number; retries: number; startPeriod: number };
  logConfiguration: { logDriver: 'awslogs'; options: Record<string, string> };
  readonlyRootFilesystem: boolean;
  mountPoints: { sourceVolume: string; containerPath: string; readOnly: boolean }[];
  linuxParameters: { initProcessEnabled: boolean };
  stopTimeout?: number;
  memoryReservation?: number;
  dependsOn?: { containerName: string; condition: 'START' | 'HEALTHY' }[];
}

/** The only writable path (Node's compile cache); the root filesystem is read-only. */
export const SCRATCH_VOLUME = 'scratch';

const env = (vars: Record<string, string>): KeyValue[] =>
  Object.entries(vars)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, value]) => ({ name, value }));

const logs = (i: ContainerInputs, prefix: string) => ({
  logDriver: 'awslogs' as const,
  options: { 'awslogs-group': i.logGroup, 'awslogs-region': i.region, 'awslogs-stream-prefix': prefix },
});

export function containerDefinitions(i: ContainerInputs): ContainerDefinition[] {
  const common = {
    image: i.image,
    readonlyRootFilesystem: true,
    mountPoints: [{ sourceVolume: SCRATCH_VOLUME, containerPath: '/tmp', readOnly: false }],
    linuxParameters: { initProcessEnabled: true },
  };
  const databaseUrl = { name: 'DATABASE_URL', valueFrom: i.databaseUrlSecretArn };
  const herald: ContainerDefinition = {
    ...common,
    name: 'herald',
    essential: true,
    portMappings: [{ containerPort: SERVICE_PORT, protocol: 'tcp' }],
    environment: env({
      ...i.environment,
      HERALD_METRICS_PORT: String(i.metricsPort),
      // The runtime listens on loopback unless told otherwise; the load balancer reaches the task's own address.
      HERALD_HOST: '0.0.0.0',
      PORT: String(SERVICE_PORT),
      HERALD_BUNDLE: i.bundleUrl,
      HERALD_PUBLIC_URL: i.publicUrl,
      HERALD_WORKERS: String(i.workers),
      AWS_REGION: i.region,
    }),
    secrets: [databaseUrl, ...i.secrets].sort((a, b) => a.name.localeCompare(b.name)),
    // The Dockerfile's HEALTHCHECK is ignored by ECS; this one restarts a wedged process. Readiness
    // (/readyz: database and bundle) is the load balancer's check.
    healthCheck: {
      command: ['CMD', 'node', '-e', `fetch('http://127.0.0.1:${SERVICE_PORT}/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))`],
      interval: 30,
      timeout: 5,
      retries: 3,
      startPeriod: 60,
    },
    logConfiguration: logs(i, 'herald'),
    // SIGTERM drains in-flight jobs (pg-boss waits up to 15 s) before ECS sends SIGKILL.
    stopTimeout: 30,
  };
  const metrics: ContainerDefinition = {
    ...common,
    name: 'herald-metrics',
    // Not essential: losing metrics must not stop deliveries (the queue-depth alarm treats silence as breaching).
    essential: false,
    entryPoint: ['node'],
    // Node strips the types itself: the image holds no loader.
    command: [i.metricsSidecar],
    environment: env({ HERALD_METRICS_SERVICE: i.serviceName, HERALD_METRICS_URL: `http://127.0.0.1:${i.metricsPort}/metrics` }),
    secrets: [databaseUrl],
    logConfiguration: logs(i, 'metrics'),
    memoryReservation: 64,
    dependsOn: [{ containerName: 'herald', condition: 'START' }],
  };
  return [herald, metrics];
}

/** The dimension value the sidecar publishes under; the alarms and the autoscaler use the same. */
export const metricsDimension = (serviceName: string) => ({ [SERVICE_DIMENSION]: serviceName });
