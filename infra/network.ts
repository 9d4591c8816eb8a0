/**
 * The network Herald runs in: a VPC of its own, or an existing one by config.
 *
 * A created VPC has three tiers per availability zone: public subnets (the load balancer, the NAT
 * gateways), private subnets with egress through NAT (the service: it calls SendGrid, Twilio and FCM, and
 * pulls from ECR and Secrets Manager), and database subnets with no route out at all. S3 is reached
 * through a gateway endpoint, so bundle reads stay off the NAT.
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { carve } from './cidr.ts';
import type { NetworkSettings } from './settings.ts';

export class Network extends pulumi.ComponentResource {
  readonly vpcId: pulumi.Output<string>;
  readonly publicSubnetIds: pulumi.Output<string[]>;
  readonly privateSubnetIds: pulumi.Output<string[]>;
  readonly databaseSubnetIds: pulumi.Output<string[]>;

  constructor(name: string, settings: NetworkSettings, opts?: pulumi.ComponentResourceOptions) {
    super('herald:infra:Network', name, {}, opts);
    if (settings.mode === 'existing') {
      this.vpcId = pulumi.output(settings.vpcId);
      this.publicSubnetIds = pulumi.output(settings.publicSubnetIds);
      this.privateSubnetIds = pulumi.output(settings.privateSubnetIds);
      this.databaseSubnetIds = pulumi.output(settings.databaseSubnetIds);
    } else {
      const created = createVpc(name, settings, this);
      this.vpcId = created.vpcId;
      this.publicSubnetIds = created.publicSubnetIds;
      this.privateSubnetIds = created.privateSubnetIds;
      this.databaseSubnetIds = created.databaseSubnetIds;
    }
    this.registerOutputs({ vpcId: this.vpcId });
  }
}

/** Subnets are /20s of the VPC block: public 0–3, private 4–7, database 8–11 (room for a fourth zone). */
const TIER_OFFSET = { public: 0, private: 4, database: 8 } as const;

function createVpc(name: string, settings: Extract<NetworkSettings, { mode: 'create' }>, parent: pulumi.Resource) {
  if (settings.zones < 2 || settings.zones > 4) throw new Error(`herald:zones must be 2–4 (RDS and the load balancer need two), not ${settings.zones}`);
  const opts = { parent };
  const prefix = Number(settings.cidr.split('/')[1]) + 4;
  const zones = aws.getAvailabilityZonesOutput({ state: 'available' }, opts).names;

  const vpc = new aws.ec2.Vpc(
    `${name}-vpc`,
    { cidrBlock: settings.cidr, enableDnsHostnames: true, enableDnsSupport: true, tags: { Name: `${name}-vpc` } },
    opts,
  );
  const igw = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: vpc.id, tags: { Name: `${name}-igw` } }, opts);

  const subnet = (tier: keyof typeof TIER_OFFSET, zone: number) =>
    new aws.ec2.Subnet(
      `${name}-${tier}-${zone}`,
      {
        vpcId: vpc.id,
        cidrBlock: carve(settings.cidr, prefix, TIER_OFFSET[tier] + zone),
        availabilityZone: zones.apply((names) => {
          const az = names[zone];
          if (!az) throw new Error(`the region has ${names.length} available zones; herald:zones asks for ${settings.zones}`);
          return az;
        }),
        // Nothing gets a public address by default, not even in the public tier: only the ALB and NAT live there.
        mapPublicIpOnLaunch: false,
        tags: { Name: `${name}-${tier}-${zone}`, 'herald:tier': tier },
      },
      opts,
    );
  const indexes = Array.from({ length: settings.zones }, (_, i) => i);
  const publics = indexes.map((i) => subnet('public', i));
  const privates = indexes.map((i) => subnet('private', i));
  const databases = indexes.map((i) => subnet('database', i));

  const publicRoutes = new aws.ec2.RouteTable(
    `${name}-public`,
    { vpcId: vpc.id, routes: [{ cidrBlock: '0.0.0.0/0', gatewayId: igw.id }], tags: { Name: `${name}-public` } },
    opts,
  );
  publics.forEach((s, i) => new aws.ec2.RouteTableAssociation(`${name}-public-${i}`, { subnetId: s.id, routeTableId: publicRoutes.id }, opts));

  const natCount = settings.natGateways === 'per-zone' ? settings.zones : 1;
  const nats = Array.from({ length: natCount }, (_, i) => {
    const eip = new aws.ec2.Eip(`${name}-nat-${i}`, { domain: 'vpc', tags: { Name: `${name}-nat-${i}` } }, { parent, dependsOn: [igw] });
    return new aws.ec2.NatGateway(`${name}-nat-${i}`, { allocationId: eip.id, subnetId: publics[i]!.id, tags: { Name: `${name}-nat-${i}` } }, opts);
  });
  const privateRoutes = privates.map((s, i) => {
    const table = new aws.ec2.RouteTable(
      `${name}-private-${i}`,
      { vpcId: vpc.id, routes: [{ cidrBlock: '0.0.0.0/0', natGatewayId: nats[i % natCount]!.id }], tags: { Name: `${name}-private-${i}` } },
      opts,
    );
    new aws.ec2.RouteTableAssociation(`${name}-private-${i}`, { subnetId: s.id, routeTableId: table.id }, opts);
    return table;
  });

  // The database tier: its own table with only the VPC's local route.
  const databaseRoutes = new aws.ec2.RouteTable(`${name}-database`, { vpcId: vpc.id, tags: { Name: `${name}-database` } }, opts);
  databases.forEach((s, i) => new aws.ec2.RouteTableAssociation(`${name}-database-${i}`, { subnetId: s.id, routeTableId: databaseRoutes.id }, opts));

  const region = aws.getRegionOutput({}, opts).region;
  new aws.ec2.VpcEndpoint(
    `${name}-s3`,
    {
      vpcId: vpc.id,
      serviceName: pulumi.interpolate`com.amazonaws.${region}.s3`,
      vpcEndpointType: 'Gateway',
      routeTableIds: privateRoutes.map((t) => t.id),
      tags: { Name: `${name}-s3` },
    },
    opts,
  );

  return {
    vpcId: vpc.id,
    publicSubnetIds: pulumi.all(publics.map((s) => s.id)),
    privateSubnetIds: pulumi.all(privates.map((s) => s.id)),
    databaseSubnetIds: pulumi.all(databases.map((s) => s.id)),
  };
}
