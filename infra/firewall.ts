/**
 * Who may talk to whom: the internet to the load balancer (443, and 80 only to be redirected), the load
 * balancer to the service's port, the service to the database's port, and nothing else inbound. Rules
 * are separate resources so the groups can refer to each other without a cycle.
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';

export const SERVICE_PORT = 3000;
export const DATABASE_PORT = 5432;

export class Firewall extends pulumi.ComponentResource {
  readonly loadBalancerGroupId: pulumi.Output<string>;
  readonly serviceGroupId: pulumi.Output<string>;
  readonly databaseGroupId: pulumi.Output<string>;

  constructor(name: string, args: { vpcId: pulumi.Input<string> }, opts?: pulumi.ComponentResourceOptions) {
    super('herald:infra:Firewall', name, {}, opts);
    const o = { parent: this };
    const group = (role: string, description: string) =>
      new aws.ec2.SecurityGroup(`${name}-${role}`, { vpcId: args.vpcId, description, tags: { Name: `${name}-${role}` } }, o);
    const alb = group('alb', 'Herald load balancer: HTTPS from the internet');
    const service = group('service', 'Herald runtime tasks: the service port from the load balancer');
    const database = group('database', 'Herald PostgreSQL: from the runtime tasks only');

    for (const [port, cidr] of [
      [443, '0.0.0.0/0'],
      [80, '0.0.0.0/0'],
    ] as const) {
      new aws.vpc.SecurityGroupIngressRule(
        `${name}-alb-in-${port}`,
        {
          securityGroupId: alb.id,
          ipProtocol: 'tcp',
          fromPort: port,
          toPort: port,
          cidrIpv4: cidr,
          description: port === 80 ? 'redirected to HTTPS' : 'HTTPS',
        },
        o,
      );
    }
    new aws.vpc.SecurityGroupEgressRule(
      `${name}-alb-out`,
      {
        securityGroupId: alb.id,
        ipProtocol: 'tcp',
        fromPort: SERVICE_PORT,
        toPort: SERVICE_PORT,
        referencedSecurityGroupId: service.id,
        description: 'to the runtime',
      },
      o,
    );

    new aws.vpc.SecurityGroupIngressRule(
      `${name}-service-in`,
      {
        securityGroupId: service.id,
        ipProtocol: 'tcp',
        fromPort: SERVICE_PORT,
        toPort: SERVICE_PORT,
        referencedSecurityGroupId: alb.id,
        description: 'from the load balancer',
      },
      o,
    );
    // Out to anywhere on HTTPS (providers, AWS APIs through NAT) and to the database.
    new aws.vpc.SecurityGroupEgressRule(
      `${name}-service-out-https`,
      { securityGroupId: service.id, ipProtocol: 'tcp', fromPort: 443, toPort: 443, cidrIpv4: '0.0.0.0/0', description: 'providers and AWS APIs' },
      o,
    );
    new aws.vpc.SecurityGroupEgressRule(
      `${name}-service-out-db`,
      {
        securityGroupId: service.id,
        ipProtocol: 'tcp',
        fromPort: DATABASE_PORT,
        toPort: DATABASE_PORT,
        referencedSecurityGroupId: database.id,
        description: 'PostgreSQL',
      },
      o,
    );

    new aws.vpc.SecurityGroupIngressRule(
      `${name}-database-in`,
      {
        securityGroupId: database.id,
        ipProtocol: 'tcp',
        fromPort: DATABASE_PORT,
        toPort: DATABASE_PORT,
        referencedSecurityGroupId: service.id,
        description: 'from the runtime',
      },
      o,
    );

    this.loadBalancerGroupId = alb.id;
    this.serviceGroupId = service.id;
    this.databaseGroupId = database.id;
    this.registerOutputs({});
  }
}
