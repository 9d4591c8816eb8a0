/**
 * What a stack may choose, read once from Pulumi config (`herald:*` keys, see Pulumi.dev.yaml) into one
 * typed value with the defaults filled in. The components take this value, never `pulumi.Config`, so tests
 * build the program from a literal and a weakened variant of it.
 */
import type * as pulumi from '@pulumi/pulumi';

export type NetworkSettings =
  | {
      mode: 'create';
      /** An IPv4 /16 (or larger) block; carved into public, private and database subnets. */
      cidr: string;
      /** Availability zones to spread over (2–3). */
      zones: number;
      /** One NAT gateway for the VPC (cheap) or one per zone (survives a zone outage). */
      natGateways: 'single' | 'per-zone';
    }
  | {
      mode: 'existing';
      vpcId: string;
      /** Where the load balancer goes (routes to an internet gateway). */
      publicSubnetIds: string[];
      /** Where the service runs (egress through NAT: providers, ECR, Secrets Manager). */
      privateSubnetIds: string[];
      /** Where the database goes; defaults to the private subnets. */
      databaseSubnetIds: string[];
    };

export interface DatabaseSettings {
  /** RDS for PostgreSQL (one instance, Multi-AZ in production) or Aurora PostgreSQL. */
  engine: 'rds' | 'aurora';
  /** RDS: a major version ("17") follows minor upgrades; Aurora: exact ("16.6") or unset for AWS's default. */
  version: string | undefined;
  instanceClass: string;
  /** RDS only: initial and autoscaling ceiling of storage, GiB. */
  storageGb: number;
  maxStorageGb: number;
  /** Aurora only: instances (the first is the writer). */
  instances: number;
  multiAz: boolean;
  backupRetentionDays: number;
}

export interface ServiceSettings {
  cpu: number;
  memory: number;
  desiredCount: number;
  minCount: number;
  maxCount: number;
  /** Average CPU the autoscaler aims for, percent. */
  cpuTarget: number;
  /** Due run-queue jobs per task the autoscaler aims for. */
  backlogPerTaskTarget: number;
  /** HERALD_WORKERS: jobs in flight per task (up to four batches); 64, the runtime's own default. */
  workers: number;
  /**
   * HERALD_METRICS_PORT: /metrics on its own port, on the task's loopback, where the metrics sidecar scrapes it
   * without a key (the API's /metrics needs a read key). Default 9464.
   */
  metricsPort: number;
  /** The metrics sidecar's entry file inside the image (ImageLayout). */
  metricsSidecar: string;
}

/** Prometheus's customary exporter port; inside the task only (HERALD_METRICS_HOST stays 127.0.0.1). */
export const DEFAULT_METRICS_PORT = 9464;

export interface ImageSettings {
  /** A prebuilt image in this stack's ECR repository (CI built and pushed it); otherwise `pulumi up` builds one. */
  uri: string | undefined;
  /** Build context and Dockerfile (the repository root). */
  context: string;
  dockerfile: string;
  platform: 'linux/amd64' | 'linux/arm64';
}

export interface AlarmSettings {
  /** Subscribed to the alarm topic (confirm the e-mail AWS sends). */
  email: string | undefined;
  failedSendRatePercent: number;
  queueDepth: number;
  queueAgeSeconds: number;
  http5xxRatePercent: number;
  databaseCpuPercent: number;
  databaseFreeStorageGb: number;
}

/**
 * Provider credentials and keys: secret config values (`pulumi config set --secret`). Each one set is
 * written to its Secrets Manager entry and handed to the task as a secret; one unset leaves its entry
 * empty and the provider in the runtime's sandbox (start-up says so).
 */
export interface SecretSettings {
  apiKey: pulumi.Output<string> | undefined;
  sendgridApiKey: pulumi.Output<string> | undefined;
  twilioAccountSid: pulumi.Output<string> | undefined;
  twilioAuthToken: pulumi.Output<string> | undefined;
  firebaseServiceAccount: pulumi.Output<string> | undefined;
  segmentWriteKey: pulumi.Output<string> | undefined;
  /** SENDGRID_WEBHOOK_PUBLIC_KEY: public, but whoever can change it can forge delivery events (infra/README.md). */
  sendgridWebhookPublicKey: pulumi.Output<string> | undefined;
  /** Optional, left out of the stack entirely when unset: HERALD_API_KEYS and SEGMENT_BROWSER_WRITE_KEY. */
  apiKeys: pulumi.Output<string> | undefined;
  segmentBrowserWriteKey: pulumi.Output<string> | undefined;
}

export interface HeraldSettings {
  /** The Pulumi stack: names resources. */
  stack: string;
  /** Turns on the safeguards (deletion protection, final snapshots, Multi-AZ defaults, longer retention). */
  production: boolean;
  network: NetworkSettings;
  database: DatabaseSettings;
  service: ServiceSettings;
  image: ImageSettings;
  /** The public host name; the runtime's HERALD_PUBLIC_URL is https://domain. */
  domain: string;
  /** An ACM certificate for `domain` in the stack's region; or a hosted zone to create and validate one in. */
  certificateArn: string | undefined;
  hostedZoneId: string | undefined;
  /** The compiled bundle (`herald build` output). */
  bundlePath: string;
  logRetentionDays: number;
  alarms: AlarmSettings;
  secrets: SecretSettings;
  /** Plain (non-secret) runtime variables: SENDGRID_FROM, TWILIO_FROM, HERALD_REDACT, … */
  environment: Record<string, string>;
}

/** The subset of pulumi.Config used here, so settings can be read from a plain map in tests. */
export interface ConfigSource {
  get(key: string): string | undefined;
  getNumber(key: string): number | undefined;
  getBoolean(key: string): boolean | undefined;
  getObject<T>(key: string): T | undefined;
  getSecret(key: string): pulumi.Output<string> | undefined;
}

/** Names that carry secrets: never accepted as plain `environment` entries. */
// Every database URL (DATABASE_URL, DATABASE_DIRECT_URL, DATABASE_READ_URL) carries a password.
const SECRET_NAMES = /KEY|TOKEN|SECRET|PASSWORD|SERVICE_ACCOUNT|DATABASE_(DIRECT_|READ_)?URL/i;

/** Secret-looking variables the stack sets from a config key of their own: the refusal names it. */
const OWN_KEYS: Record<string, string> = {
  HERALD_API_KEY: 'apiKey',
  HERALD_API_KEYS: 'apiKeys',
  SENDGRID_API_KEY: 'sendgridApiKey',
  SENDGRID_WEBHOOK_PUBLIC_KEY: 'sendgridWebhookPublicKey',
  TWILIO_ACCOUNT_SID: 'twilioAccountSid',
  TWILIO_AUTH_TOKEN: 'twilioAuthToken',
  FIREBASE_SERVICE_ACCOUNT: 'firebaseServiceAccount',
  SEGMENT_WRITE_KEY: 'segmentWriteKey',
  SEGMENT_BROWSER_WRITE_KEY: 'segmentBrowserWriteKey',
};

/**
 * Where a runtime image keeps what the task runs: this repository's own image runs Herald's sources, the image
 * `herald init` writes (Dockerfile.herald) runs the installed package.
 */
export interface ImageLayout {
  /** The Dockerfile, relative to the build context (the repository root). */
  dockerfile: string;
  /** The metrics sidecar's entry file, relative to the image's working directory. */
  metricsSidecar: string;
}

export const REPOSITORY_LAYOUT: ImageLayout = { dockerfile: 'Dockerfile', metricsSidecar: 'infra/metrics/main.ts' };
export const PACKAGE_LAYOUT: ImageLayout = { dockerfile: 'Dockerfile.herald', metricsSidecar: 'node_modules/herald/dist/herald/infra/metrics/main.js' };

export function readSettings(config: ConfigSource, stack: string, root: string, layout: ImageLayout = REPOSITORY_LAYOUT): HeraldSettings {
  const production = config.getBoolean('production') ?? /^prod/.test(stack);
  const domain = config.get('domain');
  if (!domain) throw new Error('herald:domain is required: the host name the API and webhooks are served on');
  const certificateArn = config.get('certificateArn');
  const hostedZoneId = config.get('hostedZoneId');
  if (!certificateArn && !hostedZoneId) throw new Error('set herald:certificateArn (an ACM certificate for the domain) or herald:hostedZoneId (to create one)');

  const existingVpc = config.get('vpcId');
  const network: NetworkSettings = existingVpc
    ? {
        mode: 'existing',
        vpcId: existingVpc,
        publicSubnetIds: required(config.getObject<string[]>('publicSubnetIds'), 'publicSubnetIds', 'with herald:vpcId'),
        privateSubnetIds: required(config.getObject<string[]>('privateSubnetIds'), 'privateSubnetIds', 'with herald:vpcId'),
        databaseSubnetIds:
          config.getObject<string[]>('databaseSubnetIds') ?? required(config.getObject<string[]>('privateSubnetIds'), 'privateSubnetIds', 'with herald:vpcId'),
      }
    : {
        mode: 'create',
        cidr: config.get('vpcCidr') ?? '10.40.0.0/16',
        zones: config.getNumber('zones') ?? (production ? 3 : 2),
        natGateways: oneOf(config.get('natGateways'), ['single', 'per-zone'] as const, 'natGateways') ?? (production ? 'per-zone' : 'single'),
      };

  const engine = oneOf(config.get('databaseEngine'), ['rds', 'aurora'] as const, 'databaseEngine') ?? 'rds';
  const database: DatabaseSettings = {
    engine,
    version: config.get('databaseVersion') ?? (engine === 'rds' ? '17' : undefined),
    instanceClass: config.get('databaseInstanceClass') ?? (engine === 'rds' ? 'db.t4g.small' : 'db.t4g.medium'),
    storageGb: config.getNumber('databaseStorageGb') ?? 20,
    maxStorageGb: config.getNumber('databaseMaxStorageGb') ?? 200,
    instances: config.getNumber('databaseInstances') ?? (production ? 2 : 1),
    multiAz: config.getBoolean('databaseMultiAz') ?? production,
    backupRetentionDays: config.getNumber('databaseBackupRetentionDays') ?? (production ? 14 : 7),
  };

  const desiredCount = config.getNumber('desiredCount') ?? (production ? 2 : 1);
  const service: ServiceSettings = {
    cpu: config.getNumber('cpu') ?? 512,
    memory: config.getNumber('memory') ?? 1024,
    desiredCount,
    minCount: config.getNumber('minCount') ?? desiredCount,
    maxCount: config.getNumber('maxCount') ?? Math.max(desiredCount, production ? 10 : 2),
    cpuTarget: config.getNumber('cpuTarget') ?? 60,
    backlogPerTaskTarget: config.getNumber('backlogPerTaskTarget') ?? 200,
    workers: config.getNumber('workers') ?? 64,
    metricsPort: config.getNumber('metricsPort') ?? DEFAULT_METRICS_PORT,
    metricsSidecar: layout.metricsSidecar,
  };
  if (service.minCount > service.desiredCount || service.desiredCount > service.maxCount) {
    throw new Error(`herald:minCount ≤ desiredCount ≤ maxCount does not hold (${service.minCount}, ${service.desiredCount}, ${service.maxCount})`);
  }

  const environment = config.getObject<Record<string, string>>('environment') ?? {};
  checkEnvironment(Object.keys(environment));

  const twilioSid = config.getSecret('twilioAccountSid');
  const twilioToken = config.getSecret('twilioAuthToken');
  if (Boolean(twilioSid) !== Boolean(twilioToken)) throw new Error('set both herald:twilioAccountSid and herald:twilioAuthToken, or neither');

  return {
    stack,
    production,
    network,
    database,
    service,
    image: {
      uri: config.get('imageUri'),
      context: root,
      dockerfile: `${root}/${layout.dockerfile}`,
      platform: oneOf(config.get('platform'), ['linux/amd64', 'linux/arm64'] as const, 'platform') ?? 'linux/amd64',
    },
    domain,
    certificateArn,
    hostedZoneId,
    bundlePath: config.get('bundlePath') ?? `${root}/dist/bundle.json`,
    logRetentionDays: config.getNumber('logRetentionDays') ?? (production ? 90 : 14),
    alarms: {
      email: config.get('alarmEmail'),
      failedSendRatePercent: config.getNumber('alarmFailedSendRatePercent') ?? 10,
      queueDepth: config.getNumber('alarmQueueDepth') ?? 1000,
      queueAgeSeconds: config.getNumber('alarmQueueAgeSeconds') ?? 300,
      http5xxRatePercent: config.getNumber('alarm5xxRatePercent') ?? 5,
      databaseCpuPercent: config.getNumber('alarmDatabaseCpuPercent') ?? 80,
      databaseFreeStorageGb: config.getNumber('alarmDatabaseFreeStorageGb') ?? 5,
    },
    secrets: {
      apiKey: config.getSecret('apiKey'),
      sendgridApiKey: config.getSecret('sendgridApiKey'),
      twilioAccountSid: twilioSid,
      twilioAuthToken: twilioToken,
      firebaseServiceAccount: config.getSecret('firebaseServiceAccount'),
      segmentWriteKey: config.getSecret('segmentWriteKey'),
      // getSecret also reads a value set without --secret, and keeps it a secret from then on.
      sendgridWebhookPublicKey: config.getSecret('sendgridWebhookPublicKey'),
      apiKeys: config.getSecret('apiKeys'),
      segmentBrowserWriteKey: config.getSecret('segmentBrowserWriteKey'),
    },
    environment,
  };
}

/** A secret-looking name is refused, pointing at the config key that sets it where there is one. */
function checkEnvironment(names: string[]): void {
  const secretLooking = names.filter((name) => SECRET_NAMES.test(name));
  if (!secretLooking.length) return;
  const keys = secretLooking.filter((name) => OWN_KEYS[name]).map((name) => `pulumi config set --secret herald:${OWN_KEYS[name]} …`);
  const how = keys.length ? keys.join('; ') : 'set them with `pulumi config set --secret`';
  throw new Error(`herald:environment must not carry secrets (${secretLooking.join(', ')}): ${how} (see infra/README.md, "Secrets")`);
}

function required<T>(value: T | undefined, key: string, when: string): T {
  if (value === undefined) throw new Error(`herald:${key} is required ${when}`);
  return value;
}

function oneOf<const T extends readonly string[]>(value: string | undefined, allowed: T, key: string): T[number] | undefined {
  if (value === undefined) return undefined;
  if (!allowed.includes(value)) throw new Error(`herald:${key} "${value}" must be one of ${allowed.join(', ')}`);
  return value as T[number];
}
