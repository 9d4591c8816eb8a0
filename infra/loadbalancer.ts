/**
 * The public entrance: an Application Load Balancer with HTTPS (TLS 1.2+, an ACM certificate by config or
 * one created and DNS-validated in the stack's hosted zone) in front of the API and the provider webhooks.
 * Port 80 only redirects. Targets are checked on /readyz (database reachable, bundle loaded), so a task
 * gets traffic only once it can serve it. /metrics is the sidecar's, not the internet's: answered 404 here.
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { SERVICE_PORT } from './firewall.ts';

export interface LoadBalancerArgs {
  vpcId: pulumi.Input<string>;
  subnetIds: pulumi.Input<string[]>;
  securityGroupId: pulumi.Input<string>;
  domain: string;
  certificateArn: string | undefined;
  hostedZoneId: string | undefined;
  production: boolean;
}

export class LoadBalancer extends pulumi.ComponentResource {
  readonly targetGroupArn: pulumi.Output<string>;
  /** The listener the service waits for (a target group must belong to a load balancer first). */
  readonly httpsListener: aws.lb.Listener;
  /** CloudWatch dimensions: AWS/ApplicationELB's `LoadBalancer` and `TargetGroup`. */
  readonly arnSuffix: pulumi.Output<string>;
  readonly targetGroupArnSuffix: pulumi.Output<string>;
  readonly dnsName: pulumi.Output<string>;

  constructor(name: string, args: LoadBalancerArgs, opts?: pulumi.ComponentResourceOptions) {
    super('herald:infra:LoadBalancer', name, {}, opts);
    const o = { parent: this };
    const alb = new aws.lb.LoadBalancer(
      `${name}-alb`,
      {
        loadBalancerType: 'application',
        internal: false,
        subnets: args.subnetIds,
        securityGroups: [args.securityGroupId],
        dropInvalidHeaderFields: true,
        enableDeletionProtection: args.production,
      },
      o,
    );
    const targets = new aws.lb.TargetGroup(
      `${name}-tasks`,
      {
        port: SERVICE_PORT,
        protocol: 'HTTP',
        targetType: 'ip',
        vpcId: args.vpcId,
        // The runtime drains in-flight jobs on SIGTERM (up to ~15 s); requests need far less.
        deregistrationDelay: 30,
        healthCheck: { path: '/readyz', matcher: '200', interval: 15, timeout: 5, healthyThreshold: 2, unhealthyThreshold: 3 },
      },
      o,
    );

    const certificateArn = args.certificateArn ?? this.createCertificate(name, args);
    this.httpsListener = new aws.lb.Listener(
      `${name}-https`,
      {
        loadBalancerArn: alb.arn,
        port: 443,
        protocol: 'HTTPS',
        sslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
        certificateArn,
        defaultActions: [{ type: 'forward', targetGroupArn: targets.arn }],
      },
      o,
    );
    new aws.lb.ListenerRule(
      `${name}-no-metrics`,
      {
        listenerArn: this.httpsListener.arn,
        priority: 1,
        conditions: [{ pathPattern: { values: ['/metrics', '/metrics/*'] } }],
        actions: [{ type: 'fixed-response', fixedResponse: { contentType: 'text/plain', statusCode: '404', messageBody: 'not found' } }],
      },
      o,
    );
    new aws.lb.Listener(
      `${name}-http`,
      {
        loadBalancerArn: alb.arn,
        port: 80,
        protocol: 'HTTP',
        defaultActions: [{ type: 'redirect', redirect: { protocol: 'HTTPS', port: '443', statusCode: 'HTTP_301' } }],
      },
      o,
    );
    if (args.hostedZoneId) {
      new aws.route53.Record(
        `${name}-domain`,
        { zoneId: args.hostedZoneId, name: args.domain, type: 'A', aliases: [{ name: alb.dnsName, zoneId: alb.zoneId, evaluateTargetHealth: true }] },
        o,
      );
    }

    this.targetGroupArn = targets.arn;
    this.arnSuffix = alb.arnSuffix;
    this.targetGroupArnSuffix = targets.arnSuffix;
    this.dnsName = alb.dnsName;
    this.registerOutputs({ dnsName: this.dnsName });
  }

  /** A DNS-validated certificate for the domain, in the zone the stack manages. */
  private createCertificate(name: string, args: LoadBalancerArgs): pulumi.Output<string> {
    const o = { parent: this };
    const certificate = new aws.acm.Certificate(`${name}-certificate`, { domainName: args.domain, validationMethod: 'DNS' }, o);
    const option = certificate.domainValidationOptions.apply((options) => {
      const first = options[0];
      if (!first) throw new Error(`ACM returned no validation record for ${args.domain}`);
      return first;
    });
    const record = new aws.route53.Record(
      `${name}-certificate-validation`,
      {
        zoneId: args.hostedZoneId!,
        name: option.resourceRecordName,
        type: option.resourceRecordType,
        records: [option.resourceRecordValue],
        ttl: 60,
        allowOverwrite: true,
      },
      o,
    );
    return new aws.acm.CertificateValidation(`${name}-certificate`, { certificateArn: certificate.arn, validationRecordFqdns: [record.fqdn] }, o)
      .certificateArn;
  }
}
