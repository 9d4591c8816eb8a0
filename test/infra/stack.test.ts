/**
 * The Pulumi program (infra/), built under Pulumi's mocks and held to the deploy's policies: the database
 * encrypted and private, the bucket private and versioned, no secret value in a plain input or the task's
 * environment, no wildcard in the task role, the service running the compiled bundle's version, alarms on
 * the named signals. Every policy is also run on a deliberately weakened program and must object.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as pulumi from '@pulumi/pulumi';
import { beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson } from '../../compiler/bundle/canonical.ts';
import type { Bundle } from '../../compiler/bundle/schema.ts';
import { exampleBundle } from '../runtime/harness.ts';
import {
  alarmsCoverSignals,
  bucketIsPrivateAndVersioned,
  containerDefinitionsOf,
  databaseIsEncryptedAndPrivate,
  executionRoleIsScoped,
  noPlainSecrets,
  serviceRunsTheCompiledBundle,
  taskRoleHasNoWildcards,
} from './policies.ts';
import { build, configFrom, outputValue, readSettings, SENTINELS, unwrap, type HeraldSettings, type Recorded } from './pulumi-harness.ts';

const ROOT = '/work/herald';
const SECRET_CONFIG = {
  apiKey: SENTINELS.apiKey,
  sendgridApiKey: SENTINELS.sendgrid,
  twilioAccountSid: 'ACmock0000',
  twilioAuthToken: SENTINELS.twilioToken,
  firebaseServiceAccount: SENTINELS.firebase,
  segmentWriteKey: SENTINELS.segment,
};
const SECRET_VALUES = Object.values(SENTINELS);

let bundle: Bundle;
let bundlePath: string;

function settings(overrides: Record<string, unknown> = {}, stack = 'test'): HeraldSettings {
  return readSettings(
    configFrom(
      {
        domain: 'notify.example.com',
        certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/abc',
        bundlePath,
        environment: { SENDGRID_FROM: 'hi@example.com' },
        ...overrides,
      },
      SECRET_CONFIG,
    ),
    stack,
    ROOT,
  );
}

/** A transformation that rewrites one resource type's inputs: the deliberate weakening. */
function weaken(type: string, change: (props: pulumi.Inputs) => pulumi.Inputs): pulumi.ResourceTransformation {
  return (args) => (args.type === type ? { props: change(args.props), opts: args.opts } : undefined);
}

let stack: Recorded[];
beforeAll(async () => {
  bundle = await exampleBundle();
  bundlePath = join(mkdtempSync(join(tmpdir(), 'herald-infra-')), 'bundle.json');
  writeFileSync(bundlePath, canonicalJson(bundle));
  stack = (await build('dev', settings())).resources;
}, 60_000);

describe('the program as written', () => {
  it('builds a full stack', () => {
    const types = new Set(stack.map((r) => r.type));
    for (const type of [
      'aws:ec2/vpc:Vpc',
      'aws:ec2/natGateway:NatGateway',
      'aws:rds/instance:Instance',
      'aws:s3/bucket:Bucket',
      'aws:s3/bucketObjectv2:BucketObjectv2',
      'aws:secretsmanager/secret:Secret',
      'aws:ecr/repository:Repository',
      'docker-build:index:Image',
      'aws:lb/loadBalancer:LoadBalancer',
      'aws:lb/listener:Listener',
      'aws:ecs/taskDefinition:TaskDefinition',
      'aws:ecs/service:Service',
      'aws:appautoscaling/policy:Policy',
      'aws:cloudwatch/logGroup:LogGroup',
      'aws:cloudwatch/metricAlarm:MetricAlarm',
    ]) {
      expect(types, type).toContain(type);
    }
  });

  it('keeps the database encrypted, private and backed up', () => {
    expect(databaseIsEncryptedAndPrivate(stack, { production: false })).toEqual([]);
  });

  it('keeps the bundle bucket private, versioned and encrypted', () => {
    expect(bucketIsPrivateAndVersioned(stack)).toEqual([]);
  });

  it('passes no secret value in any plain input or in the task environment', () => {
    expect(noPlainSecrets(stack, SECRET_VALUES)).toEqual([]);
    // …and the secrets do reach the task, as Secrets Manager references.
    const herald = containerDefinitionsOf(stack).find((c) => c.name === 'herald')!;
    expect(herald.secrets!.map((s) => s.name).sort()).toEqual([
      'DATABASE_URL',
      'FIREBASE_SERVICE_ACCOUNT',
      'HERALD_API_KEY',
      'HERALD_SIGNING_SECRET',
      'SEGMENT_WRITE_KEY',
      'SENDGRID_API_KEY',
      'TWILIO_ACCOUNT_SID',
      'TWILIO_AUTH_TOKEN',
    ]);
    expect(herald.secrets!.find((s) => s.name === 'TWILIO_AUTH_TOKEN')!.valueFrom).toMatch(/^arn:aws:secretsmanager:.*:authToken::$/);
    // The values were written, as secrets, to their entries.
    const versions = stack.filter((r) => r.type === 'aws:secretsmanager/secretVersion:SecretVersion').map((r) => String(unwrap(r.inputs.secretString)));
    expect(versions).toContain(SENTINELS.sendgrid);
    expect(versions.some((v) => v.startsWith(`postgres://herald:${SENTINELS.randomPassword}@`) && v.includes('sslmode=verify-full'))).toBe(true);
  });

  it('gives the task role no wildcard, and the execution role only AWS’s two', () => {
    expect(taskRoleHasNoWildcards(stack)).toEqual([]);
    expect(executionRoleIsScoped(stack)).toEqual([]);
  });

  it('runs the compiled bundle: its object is named by its version and is HERALD_BUNDLE', () => {
    expect(serviceRunsTheCompiledBundle(stack, { version: bundle.version, path: bundlePath })).toEqual([]);
  });

  it('alarms on failed sends, queue depth and age, 5xx, database CPU and storage', () => {
    expect(alarmsCoverSignals(stack)).toEqual([]);
  });

  it('checks the service on /readyz and keeps its logs for the configured retention', () => {
    const group = stack.find((r) => r.type === 'aws:lb/targetGroup:TargetGroup')!;
    expect(group.inputs.healthCheck).toMatchObject({ path: '/readyz', matcher: '200' });
    expect(stack.find((r) => r.type === 'aws:cloudwatch/logGroup:LogGroup')!.inputs.retentionInDays).toBe(14);
    const https = stack.find((r) => r.type === 'aws:lb/listener:Listener' && r.inputs.port === 443)!;
    expect(https.inputs).toMatchObject({ protocol: 'HTTPS', certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/abc' });
  });

  it('scales on CPU and on run-queue backlog per task', () => {
    const policies = stack.filter((r) => r.type === 'aws:appautoscaling/policy:Policy').map((p) => JSON.stringify(p.inputs));
    expect(policies.some((p) => p.includes('ECSServiceAverageCPUUtilization'))).toBe(true);
    expect(policies.some((p) => p.includes('"metricName":"QueueDepth"') && p.includes('RunningTaskCount'))).toBe(true);
  });
});

describe('a production stack on Aurora in an existing VPC', () => {
  let prod: Recorded[];
  beforeAll(async () => {
    const s = settings(
      {
        databaseEngine: 'aurora',
        vpcId: 'vpc-123',
        publicSubnetIds: ['subnet-p1', 'subnet-p2'],
        privateSubnetIds: ['subnet-a1', 'subnet-a2'],
        hostedZoneId: 'Z123',
        certificateArn: undefined,
      },
      'production',
    );
    prod = (await build('prod', s)).resources;
  }, 60_000);

  it('creates no VPC, and keeps every policy', () => {
    expect(prod.some((r) => r.type === 'aws:ec2/vpc:Vpc')).toBe(false);
    expect(databaseIsEncryptedAndPrivate(prod, { production: true })).toEqual([]);
    expect(bucketIsPrivateAndVersioned(prod)).toEqual([]);
    expect(noPlainSecrets(prod, SECRET_VALUES)).toEqual([]);
    expect(taskRoleHasNoWildcards(prod)).toEqual([]);
    expect(serviceRunsTheCompiledBundle(prod, { version: bundle.version, path: bundlePath })).toEqual([]);
    expect(alarmsCoverSignals(prod)).toEqual([]);
  });

  it('protects the database from deletion and validates its own certificate', () => {
    const cluster = prod.find((r) => r.type === 'aws:rds/cluster:Cluster')!;
    expect(cluster.inputs).toMatchObject({ deletionProtection: true, skipFinalSnapshot: false, storageEncrypted: true, engine: 'aurora-postgresql' });
    expect(prod.filter((r) => r.type === 'aws:rds/clusterInstance:ClusterInstance')).toHaveLength(2);
    expect(prod.some((r) => r.type === 'aws:acm/certificateValidation:CertificateValidation')).toBe(true);
  });
});

describe('deliberately weakened programs are caught', () => {
  const cases: { what: string; transform: pulumi.ResourceTransformation; check: (r: Recorded[]) => string[]; expected: RegExp; production?: boolean }[] = [
    {
      what: 'a publicly accessible database',
      transform: weaken('aws:rds/instance:Instance', (p) => ({ ...p, publiclyAccessible: true })),
      check: (r) => databaseIsEncryptedAndPrivate(r, { production: false }),
      expected: /publicly accessible/,
    },
    {
      what: 'an unencrypted database',
      transform: weaken('aws:rds/instance:Instance', (p) => ({ ...p, storageEncrypted: false })),
      check: (r) => databaseIsEncryptedAndPrivate(r, { production: false }),
      expected: /storage is not encrypted/,
    },
    {
      what: 'a database without backups',
      transform: weaken('aws:rds/instance:Instance', (p) => ({ ...p, backupRetentionPeriod: 0 })),
      check: (r) => databaseIsEncryptedAndPrivate(r, { production: false }),
      expected: /automated backups are off/,
    },
    {
      what: 'a production database without deletion protection',
      transform: weaken('aws:rds/instance:Instance', (p) => ({ ...p, deletionProtection: false })),
      check: (r) => databaseIsEncryptedAndPrivate(r, { production: true }),
      expected: /no deletion protection/,
      production: true,
    },
    {
      what: 'a bucket that allows public policies',
      transform: weaken('aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock', (p) => ({ ...p, blockPublicPolicy: false })),
      check: bucketIsPrivateAndVersioned,
      expected: /public access is not fully blocked/,
    },
    {
      what: 'a bucket with versioning suspended',
      transform: weaken('aws:s3/bucketVersioning:BucketVersioning', (p) => ({ ...p, versioningConfiguration: { status: 'Suspended' } })),
      check: bucketIsPrivateAndVersioned,
      expected: /not versioned/,
    },
    {
      what: 'a secret passed as a plain environment variable',
      transform: weaken('aws:ecs/taskDefinition:TaskDefinition', (p) => ({
        ...p,
        containerDefinitions: pulumi.all([p.containerDefinitions as pulumi.Input<string>, pulumi.secret(SENTINELS.sendgrid)]).apply(([json, key]) => {
          const defs = JSON.parse(json) as { environment: { name: string; value: string }[] }[];
          defs[0]!.environment.push({ name: 'SENDGRID_API_KEY', value: key });
          return JSON.stringify(defs);
        }),
      })),
      check: (r) => noPlainSecrets(r, SECRET_VALUES),
      expected: /SENDGRID_API_KEY holds a secret value|carry a secret/,
    },
    {
      what: 'a secret unwrapped into a plain input',
      transform: weaken('aws:cloudwatch/logGroup:LogGroup', (p) => ({ ...p, tags: { leaked: SENTINELS.apiKey } })),
      check: (r) => noPlainSecrets(r, SECRET_VALUES),
      expected: /a secret value in a plain input/,
    },
    {
      what: 'a task role that may read every object',
      transform: (args) =>
        args.type === 'aws:iam/rolePolicy:RolePolicy' && args.name.endsWith('-task')
          ? {
              props: {
                ...args.props,
                policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::*' }] }),
              },
              opts: args.opts,
            }
          : undefined,
      check: taskRoleHasNoWildcards,
      expected: /wildcard resource arn:aws:s3:::\*/,
    },
    {
      what: 'a task role with a wildcard action',
      transform: (args) =>
        args.type === 'aws:iam/rolePolicy:RolePolicy' && args.name.endsWith('-task')
          ? {
              props: {
                ...args.props,
                policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: 'arn:aws:s3:::b/k' }] }),
              },
              opts: args.opts,
            }
          : undefined,
      check: taskRoleHasNoWildcards,
      expected: /wildcard action s3:\*/,
    },
    {
      what: 'an execution role that may read every secret',
      transform: (args) =>
        args.type === 'aws:iam/rolePolicy:RolePolicy' && args.name.endsWith('-execution')
          ? {
              props: {
                ...args.props,
                policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: '*' }] }),
              },
              opts: args.opts,
            }
          : undefined,
      check: executionRoleIsScoped,
      expected: /wildcard resource \* for secretsmanager:GetSecretValue/,
    },
    {
      what: 'a bundle uploaded under a name that is not its version',
      transform: weaken('aws:s3/bucketObjectv2:BucketObjectv2', (p) => ({ ...p, key: 'bundles/latest.json' })),
      check: (r) => serviceRunsTheCompiledBundle(r, { version: bundle.version, path: bundlePath }),
      expected: /key is bundles\/latest\.json/,
    },
    {
      what: 'no alarm on queue depth',
      transform: (args) =>
        args.type === 'aws:cloudwatch/metricAlarm:MetricAlarm' && args.name.endsWith('-queue-depth')
          ? { props: { ...args.props, metricName: 'Nothing' }, opts: args.opts }
          : undefined,
      check: alarmsCoverSignals,
      expected: /no alarm on the queue depth/,
    },
    {
      what: 'no alarm on the 5xx rate',
      transform: (args) =>
        args.type === 'aws:cloudwatch/metricAlarm:MetricAlarm' && args.name.endsWith('-http-5xx-rate')
          ? { props: { ...args.props, metricQueries: [] }, opts: args.opts }
          : undefined,
      check: alarmsCoverSignals,
      expected: /no alarm on the 5xx rate/,
    },
    {
      what: 'a failed-send alarm that notifies no one',
      transform: (args) =>
        args.type === 'aws:cloudwatch/metricAlarm:MetricAlarm' && args.name.endsWith('-failed-send-rate')
          ? { props: { ...args.props, alarmActions: [] }, opts: args.opts }
          : undefined,
      check: alarmsCoverSignals,
      expected: /failed-send rate alarm notifies no one/,
    },
  ];

  for (const [index, c] of cases.entries()) {
    it(`${c.what}`, async () => {
      const weakened = (await build(`weak${index}`, settings({}, c.production ? 'production' : 'test'), [c.transform])).resources;
      const violations = c.check(weakened);
      expect(violations.join('\n')).toMatch(c.expected);
    });
  }
});

describe('stack config', () => {
  it('refuses a secret as a plain environment variable', () => {
    expect(() => settings({ environment: { SENDGRID_API_KEY: 'x' } })).toThrow(/must not carry secrets \(SENDGRID_API_KEY\)/);
    // The pooler's direct URL and the replica's URL carry the database password too.
    for (const name of ['DATABASE_DIRECT_URL', 'DATABASE_READ_URL']) {
      expect(() => settings({ environment: { [name]: 'postgres://herald:pw@db/herald' } })).toThrow(new RegExp(`must not carry secrets \\(${name}\\)`));
    }
  });

  it('refuses values it does not know', () => {
    expect(() => settings({ databaseEngine: 'mysql' })).toThrow('herald:databaseEngine "mysql" must be one of rds, aurora');
    expect(() => settings({ natGateways: 'none' })).toThrow('herald:natGateways "none" must be one of single, per-zone');
    expect(() => settings({ desiredCount: 5, maxCount: 3 })).toThrow(/minCount ≤ desiredCount ≤ maxCount/);
  });

  it('needs a domain and a certificate (or a zone to make one in)', () => {
    expect(() => settings({ domain: undefined })).toThrow('herald:domain is required');
    expect(() => settings({ certificateArn: undefined })).toThrow(/herald:certificateArn .* or herald:hostedZoneId/);
  });

  it('refuses to deploy without a compiled bundle', () => {
    return expect(build('nobundle', settings({ bundlePath: '/nonexistent/bundle.json' }))).rejects.toThrow('run `npx herald build` first');
  });
});

describe('the entry point (infra/index.ts)', () => {
  it('builds from stack config and exports the bundle it deployed', async () => {
    pulumi.runtime.setAllConfig(
      {
        'herald:domain': 'notify.example.com',
        'herald:certificateArn': 'arn:aws:acm:eu-west-1:123456789012:certificate/abc',
        'herald:bundlePath': bundlePath,
        'herald:sendgridApiKey': SENTINELS.sendgrid,
      },
      ['herald:sendgridApiKey'],
    );
    const program = await import('../../infra/index.ts');
    expect(program.bundleVersion).toBe(bundle.version);
    expect(await outputValue(program.bundleUrl)).toMatch(new RegExp(`^s3://[^/]+/bundles/${bundle.version}\\.json$`));
    expect(program.url).toBe('https://notify.example.com');
    expect(program.unsetSecrets.sort()).toEqual(['firebase', 'segment', 'sendgrid-webhook', 'twilio']);
  });
});
