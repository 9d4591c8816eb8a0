/**
 * Policy-style checks over the resources the program registered (as recorded by the mocks). Each returns
 * the violations it found, as sentences; an empty list passes. The tests run each on the real program
 * (no violations) and on a deliberately weakened one (the violation must be reported), so a check that
 * cannot fail cannot pass for long.
 */
import { isSecret, unwrap, type Recorded } from './pulumi-harness.ts';

const ofType = (resources: Recorded[], type: string) => resources.filter((r) => r.type === type);

// ── database ──

export function databaseIsEncryptedAndPrivate(resources: Recorded[], options: { production: boolean }): string[] {
  const violations: string[] = [];
  const instances = ofType(resources, 'aws:rds/instance:Instance');
  const clusters = ofType(resources, 'aws:rds/cluster:Cluster');
  const clusterInstances = ofType(resources, 'aws:rds/clusterInstance:ClusterInstance');
  if (instances.length + clusters.length === 0) violations.push('no database was created');
  for (const db of [...instances, ...clusters]) {
    const i = db.inputs;
    if (i.storageEncrypted !== true) violations.push(`${db.name}: storage is not encrypted`);
    if (!(typeof i.backupRetentionPeriod === 'number' && i.backupRetentionPeriod >= 1)) violations.push(`${db.name}: automated backups are off`);
    if (options.production && i.deletionProtection !== true) violations.push(`${db.name}: no deletion protection in a production stack`);
    if (options.production && i.skipFinalSnapshot !== false) violations.push(`${db.name}: a production stack would skip the final snapshot`);
  }
  // Explicitly false: a missing value is the provider's default today, not a guarantee.
  for (const db of [...instances, ...clusterInstances]) if (db.inputs.publiclyAccessible !== false) violations.push(`${db.name}: publicly accessible`);
  return violations;
}

// ── bundle bucket ──

export function bucketIsPrivateAndVersioned(resources: Recorded[]): string[] {
  const violations: string[] = [];
  const buckets = ofType(resources, 'aws:s3/bucket:Bucket');
  if (buckets.length === 0) violations.push('no bucket was created');
  const forBucket = (type: string, bucket: Recorded) => ofType(resources, type).filter((r) => r.inputs.bucket === bucket.id);
  for (const bucket of buckets) {
    const blocks = forBucket('aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock', bucket);
    const fullyBlocked = blocks.some((b) =>
      ['blockPublicAcls', 'blockPublicPolicy', 'ignorePublicAcls', 'restrictPublicBuckets'].every((k) => b.inputs[k] === true),
    );
    if (!fullyBlocked) violations.push(`${bucket.name}: public access is not fully blocked`);
    const versioning = forBucket('aws:s3/bucketVersioning:BucketVersioning', bucket);
    if (!versioning.some((v) => (v.inputs.versioningConfiguration as { status?: string } | undefined)?.status === 'Enabled'))
      violations.push(`${bucket.name}: not versioned`);
    const encryption = forBucket('aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration', bucket);
    const encrypted = encryption.some((e) =>
      ((e.inputs.rules as { applyServerSideEncryptionByDefault?: { sseAlgorithm?: string } }[] | undefined) ?? []).some((r) =>
        ['aws:kms', 'aws:kms:dsse', 'AES256'].includes(r.applyServerSideEncryptionByDefault?.sseAlgorithm ?? ''),
      ),
    );
    if (!encrypted) violations.push(`${bucket.name}: no default encryption`);
    if (bucket.inputs.acl !== undefined && bucket.inputs.acl !== 'private') violations.push(`${bucket.name}: ACL ${String(bucket.inputs.acl)}`);
  }
  return violations;
}

// ── secrets ──

/** Every place a string value sits in `value`, with whether a secret wrapper encloses it. */
function* strings(value: unknown, path: string, insideSecret: boolean): Generator<{ path: string; text: string; insideSecret: boolean }> {
  if (isSecret(value)) return yield* strings(value.value, path, true);
  if (typeof value === 'string') yield { path, text: value, insideSecret };
  else if (Array.isArray(value)) for (const [i, v] of value.entries()) yield* strings(v, `${path}[${i}]`, insideSecret);
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) yield* strings(v, `${path}.${k}`, insideSecret);
}

interface ContainerDefinition {
  name: string;
  environment?: { name: string; value: string }[];
  secrets?: { name: string; valueFrom: string }[];
}

export function containerDefinitionsOf(resources: Recorded[]): ContainerDefinition[] {
  return ofType(resources, 'aws:ecs/taskDefinition:TaskDefinition').flatMap(
    (t) => JSON.parse(String(unwrap(t.inputs.containerDefinitions))) as ContainerDefinition[],
  );
}

const SECRET_VARIABLES = /KEY|TOKEN|SECRET|PASSWORD|SERVICE_ACCOUNT|DATABASE_(DIRECT_|READ_)?URL/i;

export function noPlainSecrets(resources: Recorded[], secretValues: string[]): string[] {
  const violations: string[] = [];
  for (const resource of resources) {
    for (const { path, text, insideSecret } of strings(resource.inputs, resource.name, false)) {
      const leaked = secretValues.find((s) => text.includes(s));
      if (leaked && !insideSecret) violations.push(`${path}: a secret value in a plain input`);
    }
  }
  // The task definition is checked through any wrapper: a secret folded into containerDefinitions would
  // make the whole document secret in state, yet reach the container as a plain environment value.
  for (const task of ofType(resources, 'aws:ecs/taskDefinition:TaskDefinition')) {
    if (isSecret(task.inputs.containerDefinitions)) violations.push(`${task.name}: the container definitions carry a secret`);
  }
  for (const container of containerDefinitionsOf(resources)) {
    for (const variable of container.environment ?? []) {
      if (secretValues.some((s) => variable.value.includes(s))) violations.push(`${container.name}: environment ${variable.name} holds a secret value`);
      if (SECRET_VARIABLES.test(variable.name)) violations.push(`${container.name}: ${variable.name} is passed as plain environment, not as a secret`);
    }
    for (const secret of container.secrets ?? []) {
      if (!/^arn:aws:secretsmanager:/.test(secret.valueFrom)) violations.push(`${container.name}: secret ${secret.name} is not a Secrets Manager reference`);
    }
  }
  return violations;
}

// ── IAM ──

interface Statement {
  Effect?: string;
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
}

const list = (v: string | string[] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

function statementsOf(resources: Recorded[], role: Recorded): { statements: Statement[]; violations: string[] } {
  const violations: string[] = [];
  const statements: Statement[] = [];
  const parse = (policy: unknown) => (JSON.parse(String(unwrap(policy))) as { Statement: Statement[] }).Statement;
  for (const p of ofType(resources, 'aws:iam/rolePolicy:RolePolicy').filter((p) => p.inputs.role === role.id)) statements.push(...parse(p.inputs.policy));
  for (const inline of (role.inputs.inlinePolicies as { policy?: string }[] | undefined) ?? []) if (inline.policy) statements.push(...parse(inline.policy));
  // Managed policies cannot be read here, so none are allowed.
  for (const a of ofType(resources, 'aws:iam/rolePolicyAttachment:RolePolicyAttachment').filter((a) => a.inputs.role === role.id))
    violations.push(`${role.name}: managed policy ${String(a.inputs.policyArn)} attached`);
  for (const arn of (role.inputs.managedPolicyArns as string[] | undefined) ?? []) violations.push(`${role.name}: managed policy ${arn} attached`);
  return { statements, violations };
}

function roleOf(resources: Recorded[], field: 'taskRoleArn' | 'executionRoleArn'): Recorded[] {
  const arns = new Set(ofType(resources, 'aws:ecs/taskDefinition:TaskDefinition').map((t) => t.inputs[field]));
  return ofType(resources, 'aws:iam/role:Role').filter((r) => arns.has(r.state.arn));
}

export function taskRoleHasNoWildcards(resources: Recorded[]): string[] {
  const roles = roleOf(resources, 'taskRoleArn');
  if (roles.length === 0) return ['no task role'];
  const violations: string[] = [];
  for (const role of roles) {
    const { statements, violations: attached } = statementsOf(resources, role);
    violations.push(...attached);
    if (statements.length === 0) violations.push(`${role.name}: grants nothing (cannot read its bundle)`);
    for (const s of statements) {
      if (s.NotAction || s.NotResource) violations.push(`${role.name}: NotAction/NotResource grants everything else`);
      for (const action of list(s.Action)) if (action.includes('*')) violations.push(`${role.name}: wildcard action ${action}`);
      for (const resource of list(s.Resource)) if (resource.includes('*')) violations.push(`${role.name}: wildcard resource ${resource}`);
    }
  }
  return violations;
}

/** The execution role's two wildcards are AWS's (see infra/roles.ts); anything beyond them is a violation. */
export function executionRoleIsScoped(resources: Recorded[]): string[] {
  const roles = roleOf(resources, 'executionRoleArn');
  if (roles.length === 0) return ['no execution role'];
  const violations: string[] = [];
  for (const role of roles) {
    const { statements, violations: attached } = statementsOf(resources, role);
    violations.push(...attached);
    for (const s of statements) {
      const actions = list(s.Action);
      for (const action of actions) if (action.includes('*')) violations.push(`${role.name}: wildcard action ${action}`);
      for (const resource of list(s.Resource)) {
        const allowed =
          (resource === '*' && actions.every((a) => a === 'ecr:GetAuthorizationToken')) || /^arn:aws:logs:[^*]+:log-group:[^*]+:log-stream:\*$/.test(resource);
        if (resource.includes('*') && !allowed) violations.push(`${role.name}: wildcard resource ${resource} for ${actions.join(', ')}`);
      }
    }
  }
  return violations;
}

// ── the bundle ──

export function serviceRunsTheCompiledBundle(resources: Recorded[], bundle: { version: string; path: string }): string[] {
  const violations: string[] = [];
  const expectedKey = `bundles/${bundle.version}.json`;
  const objects = ofType(resources, 'aws:s3/bucketObjectv2:BucketObjectv2');
  const object = objects.find((o) => (o.inputs.source as { fileAsset?: string } | undefined)?.fileAsset === bundle.path);
  if (!object) return [`the compiled bundle (${bundle.path}) is not uploaded`];
  if (object.inputs.key !== expectedKey) violations.push(`the bundle object's key is ${String(object.inputs.key)}, not ${expectedKey}`);
  const bucket = ofType(resources, 'aws:s3/bucket:Bucket').find((b) => b.id === object.inputs.bucket);
  if (!bucket) return [...violations, 'the bundle object is not in the stack’s bucket'];
  const herald = containerDefinitionsOf(resources).find((c) => c.name === 'herald');
  const bundleVariable = herald?.environment?.find((e) => e.name === 'HERALD_BUNDLE')?.value;
  const expectedUrl = `s3://${String(bucket.state.bucket)}/${expectedKey}`;
  if (bundleVariable !== expectedUrl) violations.push(`HERALD_BUNDLE is ${String(bundleVariable)}, not ${expectedUrl}`);
  return violations;
}

// ── alarms ──

export const SIGNALS = {
  'failed-send rate': { namespace: 'Herald', metrics: ['SendFailures'] },
  'queue depth': { namespace: 'Herald', metrics: ['QueueDepth'] },
  'queue age': { namespace: 'Herald', metrics: ['QueueOldestAgeSeconds'] },
  '5xx rate': { namespace: 'AWS/ApplicationELB', metrics: ['HTTPCode_Target_5XX_Count', 'HTTPCode_ELB_5XX_Count'] },
  'database CPU': { namespace: 'AWS/RDS', metrics: ['CPUUtilization'] },
  'database storage': { namespace: 'AWS/RDS', metrics: ['FreeStorageSpace', 'FreeLocalStorage'] },
} as const;

interface AlarmInputs {
  namespace?: string;
  metricName?: string;
  alarmActions?: string[];
  metricQueries?: { metric?: { namespace?: string; metricName?: string } }[];
}

export function alarmsCoverSignals(resources: Recorded[]): string[] {
  const alarms = ofType(resources, 'aws:cloudwatch/metricAlarm:MetricAlarm').map((a) => unwrap(a.inputs) as AlarmInputs);
  const watched = (a: AlarmInputs) => [{ namespace: a.namespace, metricName: a.metricName }, ...(a.metricQueries ?? []).map((q) => q.metric ?? {})];
  return Object.entries(SIGNALS).flatMap(([signal, want]) => {
    const covering = alarms.filter((a) =>
      watched(a).some((m) => m.namespace === want.namespace && (want.metrics as readonly string[]).includes(m.metricName ?? '')),
    );
    if (covering.length === 0) return [`no alarm on the ${signal}`];
    if (!covering.some((a) => (a.alarmActions ?? []).length > 0)) return [`the ${signal} alarm notifies no one`];
    return [];
  });
}
