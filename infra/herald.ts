/**
 * Herald on AWS, as one component: the network, the database, the bundle bucket, the secrets, the image,
 * the load balancer, the service and the alarms, wired together from one HeraldSettings value. index.ts
 * builds it from stack config; the tests build it from literals under Pulumi's mocks.
 */
import * as pulumi from '@pulumi/pulumi';
import { Alarms } from './alarms.ts';
import { BundleBucket, readCompiledBundle } from './bundle.ts';
import { Database } from './database.ts';
import { Firewall } from './firewall.ts';
import { RuntimeImage } from './image.ts';
import { LoadBalancer } from './loadbalancer.ts';
import { Network } from './network.ts';
import { AppSecrets } from './secrets.ts';
import { RuntimeService } from './service.ts';
import type { HeraldSettings } from './settings.ts';

export class Herald extends pulumi.ComponentResource {
  readonly url: string;
  readonly loadBalancerDnsName: pulumi.Output<string>;
  readonly bundleVersion: string;
  readonly bundleUrl: pulumi.Output<string>;
  readonly bucketName: pulumi.Output<string>;
  readonly repositoryUrl: pulumi.Output<string>;
  readonly serviceName: pulumi.Output<string>;
  readonly clusterName: pulumi.Output<string>;
  readonly logGroupName: pulumi.Output<string>;
  readonly alarmTopicArn: pulumi.Output<string>;
  readonly apiKeySecretName: string;
  readonly unsetSecrets: string[];

  constructor(name: string, settings: HeraldSettings, opts?: pulumi.ComponentResourceOptions) {
    super('herald:infra:Herald', name, {}, opts);
    const o = { parent: this };
    const { stack, production } = settings;
    // Before any resource: a missing or invalid bundle stops the deploy with nothing changed.
    const bundle = readCompiledBundle(settings.bundlePath);

    const network = new Network(`${name}-net`, settings.network, o);
    const firewall = new Firewall(`${name}-fw`, { vpcId: network.vpcId }, o);
    const database = new Database(
      `${name}-db`,
      { settings: settings.database, production, stack, subnetIds: network.databaseSubnetIds, securityGroupId: firewall.databaseGroupId },
      o,
    );
    const bundles = new BundleBucket(`${name}-bundle`, { bundle, production }, o);
    const secrets = new AppSecrets(`${name}-secrets`, { stack, production, settings: settings.secrets }, o);
    const image = new RuntimeImage(`${name}-image`, { settings: settings.image, production, stack }, o);
    const loadBalancer = new LoadBalancer(
      `${name}-lb`,
      {
        vpcId: network.vpcId,
        subnetIds: network.publicSubnetIds,
        securityGroupId: firewall.loadBalancerGroupId,
        domain: settings.domain,
        certificateArn: settings.certificateArn,
        hostedZoneId: settings.hostedZoneId,
        production,
      },
      o,
    );
    const url = `https://${settings.domain}`;
    const service = new RuntimeService(
      `${name}-svc`,
      {
        stack,
        settings: settings.service,
        image: image.ref,
        repositoryArn: image.repositoryArn,
        bundleUrl: bundles.bundleUrl,
        bundleObjectArn: bundles.bundleObjectArn,
        publicUrl: url,
        environment: settings.environment,
        secrets: secrets.containerSecrets,
        secretArns: secrets.readableArns,
        databaseUrlSecretArn: database.urlSecretArn,
        subnetIds: network.privateSubnetIds,
        securityGroupId: firewall.serviceGroupId,
        targetGroupArn: loadBalancer.targetGroupArn,
        listener: loadBalancer.httpsListener,
        logRetentionDays: settings.logRetentionDays,
        architecture: settings.image.platform === 'linux/arm64' ? 'ARM64' : 'X86_64',
      },
      o,
    );
    const alarms = new Alarms(
      `${name}-alarms`,
      {
        stack,
        settings: settings.alarms,
        serviceName: service.serviceName,
        loadBalancerArnSuffix: loadBalancer.arnSuffix,
        targetGroupArnSuffix: loadBalancer.targetGroupArnSuffix,
        database: database.metrics,
      },
      o,
    );

    this.url = url;
    this.loadBalancerDnsName = loadBalancer.dnsName;
    this.bundleVersion = bundle.version;
    this.bundleUrl = bundles.bundleUrl;
    this.bucketName = bundles.bucketName;
    this.repositoryUrl = image.repositoryUrl;
    this.serviceName = service.serviceName;
    this.clusterName = service.clusterName;
    this.logGroupName = service.logGroupName;
    this.alarmTopicArn = alarms.topicArn;
    this.apiKeySecretName = `herald/${stack}/api-key`;
    this.unsetSecrets = secrets.unset;
    this.registerOutputs({ url, bundleUrl: this.bundleUrl });
  }
}
