/**
 * The runtime on ECS Fargate: a cluster (Container Insights on, for the task-count metric the backlog
 * scaling divides by), the log group with its retention, the task definition, the service behind the load
 * balancer (rolling, with the circuit breaker rolling a failed deployment back), and autoscaling on CPU
 * and on due run-queue jobs per task.
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { containerDefinitions, metricsDimension, SCRATCH_VOLUME } from './containers.ts';
import { SERVICE_PORT } from './firewall.ts';
import { METRICS, NAMESPACE } from './metrics/names.ts';
import { TaskRoles } from './roles.ts';
import type { ContainerSecret } from './secrets.ts';
import type { ServiceSettings } from './settings.ts';

export interface ServiceArgs {
  stack: string;
  settings: ServiceSettings;
  image: pulumi.Input<string>;
  repositoryArn: pulumi.Input<string>;
  bundleUrl: pulumi.Input<string>;
  bundleObjectArn: pulumi.Input<string>;
  publicUrl: string;
  environment: Record<string, string>;
  secrets: ContainerSecret[];
  secretArns: pulumi.Input<string>[];
  databaseUrlSecretArn: pulumi.Input<string>;
  subnetIds: pulumi.Input<string[]>;
  securityGroupId: pulumi.Input<string>;
  targetGroupArn: pulumi.Input<string>;
  /** The service is created after it: a target group must be attached to a load balancer first. */
  listener: pulumi.Resource;
  logRetentionDays: number;
  /** The image's CPU architecture: Fargate must run the task on the same. */
  architecture: 'X86_64' | 'ARM64';
}

export class RuntimeService extends pulumi.ComponentResource {
  readonly clusterName: pulumi.Output<string>;
  readonly serviceName: pulumi.Output<string>;
  readonly logGroupName: pulumi.Output<string>;
  readonly taskDefinitionArn: pulumi.Output<string>;

  constructor(name: string, args: ServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super('herald:infra:RuntimeService', name, {}, opts);
    const o = { parent: this };
    // Fixed, not auto-named: the sidecar publishes under it before the service exists.
    const serviceName = `herald-${args.stack}`;

    const cluster = new aws.ecs.Cluster(`${name}-cluster`, { settings: [{ name: 'containerInsights', value: 'enabled' }] }, o);
    const logGroup = new aws.cloudwatch.LogGroup(`${name}-logs`, { name: `/herald/${args.stack}`, retentionInDays: args.logRetentionDays }, o);
    const roles = new TaskRoles(
      `${name}-roles`,
      {
        bundleObjectArn: args.bundleObjectArn,
        secretArns: [args.databaseUrlSecretArn, ...args.secretArns],
        repositoryArn: args.repositoryArn,
        logGroupArn: logGroup.arn,
      },
      o,
    );
    const region = aws.getRegionOutput({}, o).region;

    const secretRefs = pulumi.all(args.secrets.map((s) => s.valueFrom.apply((valueFrom) => ({ name: s.name, valueFrom }))));
    const definitions = pulumi
      .all([args.image, region, logGroup.name, args.bundleUrl, args.databaseUrlSecretArn, secretRefs])
      .apply(([image, resolvedRegion, logGroupName, bundleUrl, databaseUrlSecretArn, secrets]) =>
        JSON.stringify(
          containerDefinitions({
            image,
            region: resolvedRegion,
            logGroup: logGroupName,
            bundleUrl,
            databaseUrlSecretArn,
            secrets,
            serviceName,
            publicUrl: args.publicUrl,
            workers: args.settings.workers,
            metricsPort: args.settings.metricsPort,
            metricsSidecar: args.settings.metricsSidecar,
            environment: args.environment,
          }),
        ),
      );
    const task = new aws.ecs.TaskDefinition(
      `${name}-task`,
      {
        family: serviceName,
        networkMode: 'awsvpc',
        requiresCompatibilities: ['FARGATE'],
        cpu: String(args.settings.cpu),
        memory: String(args.settings.memory),
        runtimePlatform: { operatingSystemFamily: 'LINUX', cpuArchitecture: args.architecture },
        executionRoleArn: roles.executionRoleArn,
        taskRoleArn: roles.taskRoleArn,
        volumes: [{ name: SCRATCH_VOLUME }],
        containerDefinitions: definitions,
      },
      o,
    );

    const service = new aws.ecs.Service(
      `${name}-service`,
      {
        name: serviceName,
        cluster: cluster.arn,
        taskDefinition: task.arn,
        launchType: 'FARGATE',
        desiredCount: args.settings.desiredCount,
        networkConfiguration: { subnets: args.subnetIds, securityGroups: [args.securityGroupId], assignPublicIp: false },
        loadBalancers: [{ targetGroupArn: args.targetGroupArn, containerName: 'herald', containerPort: SERVICE_PORT }],
        healthCheckGracePeriodSeconds: 60,
        deploymentMinimumHealthyPercent: 100,
        deploymentMaximumPercent: 200,
        deploymentCircuitBreaker: { enable: true, rollback: true },
        propagateTags: 'SERVICE',
        // `pulumi up` returns once the new tasks are healthy, so CI fails on a deployment that did not take.
        waitForSteadyState: true,
      },
      // The autoscaler owns the task count after creation.
      { parent: this, dependsOn: [args.listener], ignoreChanges: ['desiredCount'] },
    );

    const target = new aws.appautoscaling.Target(
      `${name}-scaling`,
      {
        serviceNamespace: 'ecs',
        scalableDimension: 'ecs:service:DesiredCount',
        resourceId: pulumi.interpolate`service/${cluster.name}/${service.name}`,
        minCapacity: args.settings.minCount,
        maxCapacity: args.settings.maxCount,
      },
      o,
    );
    const scaling = { resourceId: target.resourceId, scalableDimension: target.scalableDimension, serviceNamespace: target.serviceNamespace };
    new aws.appautoscaling.Policy(
      `${name}-cpu`,
      {
        ...scaling,
        policyType: 'TargetTrackingScaling',
        targetTrackingScalingPolicyConfiguration: {
          predefinedMetricSpecification: { predefinedMetricType: 'ECSServiceAverageCPUUtilization' },
          targetValue: args.settings.cpuTarget,
          scaleInCooldown: 300,
          scaleOutCooldown: 60,
        },
      },
      o,
    );
    // Backlog per task (AWS's recommended queue metric for target tracking): due jobs / running tasks.
    new aws.appautoscaling.Policy(
      `${name}-backlog`,
      {
        ...scaling,
        policyType: 'TargetTrackingScaling',
        targetTrackingScalingPolicyConfiguration: {
          targetValue: args.settings.backlogPerTaskTarget,
          scaleInCooldown: 300,
          scaleOutCooldown: 60,
          customizedMetricSpecification: {
            metrics: [
              {
                id: 'depth',
                returnData: false,
                metricStat: {
                  stat: 'Maximum',
                  metric: {
                    namespace: NAMESPACE,
                    metricName: METRICS.queueDepth,
                    dimensions: Object.entries(metricsDimension(serviceName)).map(([n, value]) => ({ name: n, value })),
                  },
                },
              },
              {
                id: 'tasks',
                returnData: false,
                metricStat: {
                  stat: 'Average',
                  metric: {
                    namespace: 'ECS/ContainerInsights',
                    metricName: 'RunningTaskCount',
                    dimensions: [
                      { name: 'ClusterName', value: cluster.name },
                      { name: 'ServiceName', value: service.name },
                    ],
                  },
                },
              },
              { id: 'backlogPerTask', expression: 'depth / tasks', label: 'Due run-queue jobs per task', returnData: true },
            ],
          },
        },
      },
      o,
    );

    this.clusterName = cluster.name;
    this.serviceName = service.name;
    this.logGroupName = logGroup.name;
    this.taskDefinitionArn = task.arn;
    this.registerOutputs({ serviceName: this.serviceName });
  }
}
