/**
 * Builds the Pulumi program under Pulumi's unit-test mocks (no CLI, no cloud): every resource the program
 * registers is recorded with its inputs as the engine would receive them — secrets still wrapped as
 * secrets — and computed outputs (ARNs, names, endpoints) are made up deterministically.
 *
 * The mocks are set when this module loads, before any infra module is imported (they are imported
 * dynamically below), so nothing can register against a real engine.
 */
import * as pulumi from '@pulumi/pulumi';
import { specialSecretSig, specialSigKey } from '@pulumi/pulumi/runtime/rpc.js';

export interface Recorded {
  type: string;
  name: string;
  id: string;
  inputs: Record<string, unknown>;
  state: Record<string, unknown>;
}

/** Secret values the mocks hand out or the tests configure: none may appear in a plain input. */
export const SENTINELS = {
  randomPassword: 'MOCK-RANDOM-PASSWORD-7f3a',
  ecrPassword: 'MOCK-ECR-PASSWORD-91c2',
  sendgrid: 'SG.mock-sendgrid-key-5e1d',
  twilioToken: 'mock-twilio-token-c4b0',
  firebase: '{"private_key":"mock-firebase-key-88aa"}',
  segment: 'mock-segment-write-key-0d9e',
  apiKey: 'mock-api-key-3b7f',
} as const;

export const ACCOUNT = '123456789012';
export const REGION = 'eu-west-1';

const recorded: Recorded[] = [];

const arnService = (type: string) => type.split(':')[1]?.split('/')[0] ?? 'mock';

/** Outputs a real provider would compute, derived from the resource's name. */
function computed(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> {
  const arn = `arn:aws:${arnService(type)}:${REGION}:${ACCOUNT}:${name}`;
  const state: Record<string, unknown> = { ...inputs, arn, name: inputs.name ?? name };
  switch (type) {
    case 'aws:s3/bucket:Bucket':
      Object.assign(state, { bucket: inputs.bucket ?? `${name}-b0c4d2`, arn: `arn:aws:s3:::${inputs.bucket ?? `${name}-b0c4d2`}` });
      break;
    case 'aws:rds/instance:Instance':
      Object.assign(state, { identifier: inputs.identifier ?? name, address: `${name}.abc.${REGION}.rds.amazonaws.com` });
      break;
    case 'aws:rds/cluster:Cluster':
      Object.assign(state, {
        clusterIdentifier: inputs.clusterIdentifier ?? name,
        endpoint: `${name}.cluster-abc.${REGION}.rds.amazonaws.com`,
        engineVersion: inputs.engineVersion ?? '16.6',
      });
      break;
    case 'aws:rds/clusterInstance:ClusterInstance':
      Object.assign(state, { identifier: inputs.identifier ?? name });
      break;
    case 'aws:rds/subnetGroup:SubnetGroup':
    case 'aws:ecs/cluster:Cluster':
      Object.assign(state, { name: inputs.name ?? name });
      break;
    case 'aws:lb/loadBalancer:LoadBalancer':
      Object.assign(state, { dnsName: `${name}.${REGION}.elb.amazonaws.com`, zoneId: 'Z32O12XQLNTSW2', arnSuffix: `app/${name}/50dc6c495c0c9188` });
      break;
    case 'aws:lb/targetGroup:TargetGroup':
      Object.assign(state, { arnSuffix: `targetgroup/${name}/73e2d6bc24d8a067` });
      break;
    case 'aws:ecr/repository:Repository':
      Object.assign(state, { repositoryUrl: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/${name}`, registryId: ACCOUNT });
      break;
    case 'docker-build:index:Image':
      Object.assign(state, { ref: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/${name}:test@sha256:${'d'.repeat(64)}`, digest: `sha256:${'d'.repeat(64)}` });
      break;
    case 'random:index/randomPassword:RandomPassword':
      Object.assign(state, { result: SENTINELS.randomPassword });
      break;
    case 'aws:acm/certificate:Certificate':
      Object.assign(state, {
        domainValidationOptions: [
          {
            domainName: inputs.domainName,
            resourceRecordName: `_x.${String(inputs.domainName)}.`,
            resourceRecordType: 'CNAME',
            resourceRecordValue: '_y.acm-validations.aws.',
          },
        ],
      });
      break;
    case 'aws:route53/record:Record':
      Object.assign(state, { fqdn: inputs.name });
      break;
    case 'aws:acm/certificateValidation:CertificateValidation':
      Object.assign(state, { certificateArn: inputs.certificateArn });
      break;
    case 'aws:cloudwatch/logGroup:LogGroup':
      Object.assign(state, { arn: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${String(inputs.name ?? name)}` });
      break;
  }
  return state;
}

/** File assets arrive with their path as a promise; records hold `{ fileAsset: path }` instead. */
async function resolveAssets(value: unknown): Promise<unknown> {
  if (value instanceof pulumi.asset.FileAsset) return { fileAsset: await value.path };
  if (isSecret(value)) return { ...value, value: await resolveAssets(value.value) };
  if (Array.isArray(value)) return Promise.all(value.map(resolveAssets));
  if (value && typeof value === 'object')
    return Object.fromEntries(await Promise.all(Object.entries(value).map(async ([k, v]) => [k, await resolveAssets(v)])));
  return value;
}

await pulumi.runtime.setMocks(
  {
    async newResource(args) {
      const id = `${args.name}-id`;
      const inputs = (await resolveAssets(args.inputs)) as Record<string, unknown>;
      const state = computed(args.type, args.name, inputs);
      recorded.push({ type: args.type, name: args.name, id, inputs, state });
      return { id, state };
    },
    call(args) {
      switch (args.token) {
        case 'aws:index/getAvailabilityZones:getAvailabilityZones':
          return { names: [`${REGION}a`, `${REGION}b`, `${REGION}c`], zoneIds: ['euw1-az1', 'euw1-az2', 'euw1-az3'] };
        case 'aws:index/getRegion:getRegion':
          return { name: REGION, region: REGION };
        case 'aws:ecr/getAuthorizationToken:getAuthorizationToken':
          return {
            userName: 'AWS',
            password: SENTINELS.ecrPassword,
            proxyEndpoint: `https://${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com`,
            authorizationToken: 'QVdTOm1vY2s=',
          };
        default:
          throw new Error(`unmocked call ${args.token}`);
      }
    },
  },
  'herald',
  'test',
  false,
);

/** The program's modules, imported only now that the mocks are in place. */
export const { Herald } = await import('../../infra/herald.ts');
export const { readSettings } = await import('../../infra/settings.ts');
export type { HeraldSettings, ConfigSource } from '../../infra/settings.ts';

export function isSecret(value: unknown): value is { value: unknown } {
  return typeof value === 'object' && value !== null && (value as Record<string, unknown>)[specialSigKey] === specialSecretSig;
}

/** A value with every secret wrapper removed (what the provider finally receives). */
export function unwrap(value: unknown): unknown {
  if (isSecret(value)) return unwrap(value.value);
  if (Array.isArray(value)) return value.map(unwrap);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrap(v)]));
  return value;
}

export function outputValue<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply((value) => resolve(value)));
}

type Transformation = pulumi.ResourceTransformation;

/**
 * Builds the program as a Herald component named `name` and waits until every resource it creates has
 * been registered; returns those resources' records. `weaken` transformations deliberately break it.
 */
export async function build(name: string, settings: import('../../infra/settings.ts').HeraldSettings, weaken: Transformation[] = []) {
  const resources: pulumi.Resource[] = [];
  const collect: Transformation = (args) => {
    resources.push(args.resource);
    return undefined;
  };
  const herald = new Herald(name, settings, { transformations: [collect, ...weaken] });
  // Resources register asynchronously; a resource's URN resolves once the (mock) engine has it. Components
  // may add children while we wait, so wait until the set stops growing.
  let seen = -1;
  while (seen !== resources.length) {
    seen = resources.length;
    await Promise.all([herald, ...resources].map((r) => outputValue(r.urn)));
  }
  return { herald, resources: recorded.filter((r) => r.name.startsWith(`${name}-`)) };
}

/** A pulumi.Config look-alike over a plain map, for readSettings. */
export function configFrom(values: Record<string, unknown>, secrets: Record<string, string> = {}): import('../../infra/settings.ts').ConfigSource {
  return {
    get: (key) => (typeof values[key] === 'string' ? (values[key] as string) : undefined),
    getNumber: (key) => (typeof values[key] === 'number' ? (values[key] as number) : undefined),
    getBoolean: (key) => (typeof values[key] === 'boolean' ? (values[key] as boolean) : undefined),
    getObject: <T>(key: string) => values[key] as T | undefined,
    getSecret: (key) => (secrets[key] === undefined ? undefined : pulumi.secret(secrets[key]!)),
  };
}
