/**
 * Herald's PostgreSQL: RDS (one instance, Multi-AZ in production) or Aurora by config. Always encrypted at
 * rest, never publicly accessible, backed up daily; production stacks keep deletion protection and a final
 * snapshot. The password is generated here and kept, inside the connection URL the runtime reads as
 * DATABASE_URL, in Secrets Manager.
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import * as random from '@pulumi/random';
import { DATABASE_PORT } from './firewall.ts';
import type { DatabaseSettings } from './settings.ts';

/** Where the image keeps RDS's CA bundle (see the Dockerfile): the runtime verifies the server's certificate. */
export const RDS_CA_BUNDLE = '/etc/ssl/certs/rds-global-bundle.pem';
const NAME = 'herald';

export interface DatabaseArgs {
  settings: DatabaseSettings;
  production: boolean;
  stack: string;
  subnetIds: pulumi.Input<string[]>;
  securityGroupId: pulumi.Input<string>;
}

/** What the alarms watch: CPU and storage, with the dimensions of whichever engine this is. */
export interface DatabaseMetrics {
  cpu: { dimensions: pulumi.Output<Record<string, string>> };
  /** RDS: FreeStorageSpace of the instance; Aurora: FreeLocalStorage of the writer (its volume grows by itself). */
  storage: { metricName: 'FreeStorageSpace' | 'FreeLocalStorage'; dimensions: pulumi.Output<Record<string, string>> };
}

export class Database extends pulumi.ComponentResource {
  /** The Secrets Manager entry holding DATABASE_URL. */
  readonly urlSecretArn: pulumi.Output<string>;
  readonly metrics: DatabaseMetrics;

  constructor(name: string, args: DatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super('herald:infra:Database', name, {}, opts);
    const o = { parent: this };
    const { settings, production } = args;

    // Letters and digits only: the password goes into a URL, and RDS refuses '/', '@', '"' and spaces.
    const password = new random.RandomPassword(`${name}-password`, { length: 40, special: false }, o);
    const subnets = new aws.rds.SubnetGroup(`${name}-subnets`, { subnetIds: args.subnetIds, description: 'Herald database subnets (no route out)' }, o);
    const safety = {
      storageEncrypted: true,
      deletionProtection: production,
      skipFinalSnapshot: !production,
      finalSnapshotIdentifier: production ? `${name}-${args.stack}-final` : undefined,
      backupRetentionPeriod: settings.backupRetentionDays,
      copyTagsToSnapshot: true,
      vpcSecurityGroupIds: [args.securityGroupId],
      dbSubnetGroupName: subnets.name,
      // Outside production, changes apply now rather than in the next maintenance window.
      applyImmediately: !production,
    };

    let host: pulumi.Output<string>;
    if (settings.engine === 'rds') {
      const instance = new aws.rds.Instance(
        `${name}-postgres`,
        {
          ...safety,
          engine: 'postgres',
          engineVersion: settings.version,
          instanceClass: settings.instanceClass,
          allocatedStorage: settings.storageGb,
          maxAllocatedStorage: settings.maxStorageGb,
          storageType: 'gp3',
          dbName: NAME,
          username: NAME,
          password: password.result,
          port: DATABASE_PORT,
          publiclyAccessible: false,
          multiAz: settings.multiAz,
          autoMinorVersionUpgrade: true,
          enabledCloudwatchLogsExports: ['postgresql'],
        },
        o,
      );
      host = instance.address;
      const dimensions = instance.identifier.apply((id): Record<string, string> => ({ DBInstanceIdentifier: id }));
      this.metrics = { cpu: { dimensions }, storage: { metricName: 'FreeStorageSpace', dimensions } };
    } else {
      const cluster = new aws.rds.Cluster(
        `${name}-aurora`,
        {
          ...safety,
          engine: 'aurora-postgresql',
          engineVersion: settings.version,
          databaseName: NAME,
          masterUsername: NAME,
          masterPassword: password.result,
          port: DATABASE_PORT,
        },
        o,
      );
      const instances = Array.from(
        { length: Math.max(1, settings.instances) },
        (_, i) =>
          new aws.rds.ClusterInstance(
            `${name}-aurora-${i}`,
            {
              clusterIdentifier: cluster.id,
              engine: 'aurora-postgresql',
              engineVersion: cluster.engineVersion,
              instanceClass: settings.instanceClass,
              publiclyAccessible: false,
              dbSubnetGroupName: subnets.name,
              applyImmediately: !production,
            },
            o,
          ),
      );
      host = cluster.endpoint;
      this.metrics = {
        cpu: { dimensions: cluster.clusterIdentifier.apply((id): Record<string, string> => ({ DBClusterIdentifier: id })) },
        storage: { metricName: 'FreeLocalStorage', dimensions: instances[0]!.identifier.apply((id): Record<string, string> => ({ DBInstanceIdentifier: id })) },
      };
    }

    // verify-full with RDS's CA bundle: RDS forces TLS, and the server's name is checked, not just its chain.
    const url = pulumi.interpolate`postgres://${NAME}:${password.result}@${host}:${DATABASE_PORT}/${NAME}?sslmode=verify-full&sslrootcert=${RDS_CA_BUNDLE}`;
    const secret = new aws.secretsmanager.Secret(
      `${name}-url`,
      {
        name: `herald/${args.stack}/database-url`,
        description: 'DATABASE_URL of the Herald runtime (generated password inside)',
        // Outside production a destroyed stack can be recreated at once under the same name.
        recoveryWindowInDays: production ? 30 : 0,
      },
      o,
    );
    new aws.secretsmanager.SecretVersion(`${name}-url`, { secretId: secret.id, secretString: pulumi.secret(url) }, o);
    this.urlSecretArn = secret.arn;
    this.registerOutputs({ urlSecretArn: this.urlSecretArn });
  }
}
