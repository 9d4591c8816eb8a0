/**
 * The alarms, all to one SNS topic (with an optional e-mail subscription):
 * - failed-send rate and backlog, from the metrics sidecar's EMF lines (namespace Herald);
 * - 5xx rate and healthy targets, from the load balancer's own metrics (AWS/ApplicationELB);
 * - database CPU and storage, from RDS (AWS/RDS).
 * Rates are metric math with a minimum volume, so three requests and one error at night page nobody.
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { DatabaseMetrics } from './database.ts';
import { metricsDimension } from './containers.ts';
import { METRICS, NAMESPACE } from './metrics/names.ts';
import type { AlarmSettings } from './settings.ts';

export interface AlarmsArgs {
  stack: string;
  settings: AlarmSettings;
  serviceName: pulumi.Input<string>;
  loadBalancerArnSuffix: pulumi.Input<string>;
  targetGroupArnSuffix: pulumi.Input<string>;
  database: DatabaseMetrics;
}

type Query = aws.types.input.cloudwatch.MetricAlarmMetricQuery;
type Dimensions = pulumi.Input<Record<string, pulumi.Input<string>>>;

const stat = (id: string, namespace: string, metricName: string, dimensions: Dimensions, statName: string, period = 300): Query => ({
  id,
  returnData: false,
  metric: { namespace, metricName, dimensions, stat: statName, period },
});

export class Alarms extends pulumi.ComponentResource {
  readonly topicArn: pulumi.Output<string>;

  constructor(name: string, args: AlarmsArgs, opts?: pulumi.ComponentResourceOptions) {
    super('herald:infra:Alarms', name, {}, opts);
    const o = { parent: this };
    const a = args.settings;
    const topic = new aws.sns.Topic(`${name}-alarms`, { kmsMasterKeyId: 'alias/aws/sns' }, o);
    if (a.email) new aws.sns.TopicSubscription(`${name}-alarms-email`, { topic: topic.arn, protocol: 'email', endpoint: a.email }, o);
    const actions = { alarmActions: [topic.arn], okActions: [topic.arn] };
    const alarm = (id: string, description: string, spec: Omit<aws.cloudwatch.MetricAlarmArgs, 'alarmDescription' | 'name'>) =>
      new aws.cloudwatch.MetricAlarm(`${name}-${id}`, { name: `herald-${args.stack}-${id}`, alarmDescription: description, ...actions, ...spec }, o);

    const service = pulumi.output(args.serviceName).apply(metricsDimension);
    const lb = pulumi.output(args.loadBalancerArnSuffix).apply((suffix) => ({ LoadBalancer: suffix }));

    alarm('failed-send-rate', `More than ${a.failedSendRatePercent}% of provider send attempts failed (at least 20 attempts in 5 minutes)`, {
      comparisonOperator: 'GreaterThanThreshold',
      threshold: a.failedSendRatePercent,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      treatMissingData: 'notBreaching',
      metricQueries: [
        stat('failures', NAMESPACE, METRICS.sendFailures, service, 'Sum'),
        stat('attempts', NAMESPACE, METRICS.sendAttempts, service, 'Sum'),
        { id: 'rate', expression: 'IF(attempts >= 20, 100 * failures / attempts, 0)', label: 'Failed send attempts, %', returnData: true },
      ],
    });

    // Silence is breaching: the sidecar runs in every task, so no datapoint means no task is reporting.
    alarm('queue-depth', `More than ${a.queueDepth} run-queue jobs due and not picked up, for 5 minutes`, {
      namespace: NAMESPACE,
      metricName: METRICS.queueDepth,
      dimensions: service,
      statistic: 'Maximum',
      period: 60,
      evaluationPeriods: 5,
      comparisonOperator: 'GreaterThanThreshold',
      threshold: a.queueDepth,
      treatMissingData: 'breaching',
    });
    alarm('queue-age', `The oldest due run-queue job has waited over ${a.queueAgeSeconds} s`, {
      namespace: NAMESPACE,
      metricName: METRICS.queueOldestAgeSeconds,
      dimensions: service,
      statistic: 'Maximum',
      period: 60,
      evaluationPeriods: 3,
      comparisonOperator: 'GreaterThanThreshold',
      threshold: a.queueAgeSeconds,
      treatMissingData: 'breaching',
    });
    alarm('ingest-age', `An event queued by the typed client has waited over ${a.queueAgeSeconds} s`, {
      namespace: NAMESPACE,
      metricName: METRICS.ingestOldestAgeSeconds,
      dimensions: service,
      statistic: 'Maximum',
      period: 60,
      evaluationPeriods: 3,
      comparisonOperator: 'GreaterThanThreshold',
      threshold: a.queueAgeSeconds,
      treatMissingData: 'notBreaching',
    });

    alarm('http-5xx-rate', `More than ${a.http5xxRatePercent}% of requests answered 5xx (at least 20 requests in 5 minutes)`, {
      comparisonOperator: 'GreaterThanThreshold',
      threshold: a.http5xxRatePercent,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      treatMissingData: 'notBreaching',
      metricQueries: [
        stat('target5xx', 'AWS/ApplicationELB', 'HTTPCode_Target_5XX_Count', lb, 'Sum'),
        stat('elb5xx', 'AWS/ApplicationELB', 'HTTPCode_ELB_5XX_Count', lb, 'Sum'),
        stat('requests', 'AWS/ApplicationELB', 'RequestCount', lb, 'Sum'),
        {
          id: 'rate',
          expression: 'IF(requests >= 20, 100 * (FILL(target5xx, 0) + FILL(elb5xx, 0)) / requests, 0)',
          label: '5xx responses, %',
          returnData: true,
        },
      ],
    });
    alarm('no-healthy-tasks', 'No task passes the load balancer’s /readyz check', {
      namespace: 'AWS/ApplicationELB',
      metricName: 'HealthyHostCount',
      dimensions: pulumi.all([args.loadBalancerArnSuffix, args.targetGroupArnSuffix]).apply(([LoadBalancer, TargetGroup]) => ({ LoadBalancer, TargetGroup })),
      statistic: 'Minimum',
      period: 60,
      evaluationPeriods: 3,
      comparisonOperator: 'LessThanThreshold',
      threshold: 1,
      treatMissingData: 'breaching',
    });

    alarm('database-cpu', `Database CPU above ${a.databaseCpuPercent}% for 15 minutes`, {
      namespace: 'AWS/RDS',
      metricName: 'CPUUtilization',
      dimensions: args.database.cpu.dimensions,
      statistic: 'Average',
      period: 300,
      evaluationPeriods: 3,
      comparisonOperator: 'GreaterThanThreshold',
      threshold: a.databaseCpuPercent,
      treatMissingData: 'missing',
    });
    alarm('database-storage', `Database free storage below ${a.databaseFreeStorageGb} GB`, {
      namespace: 'AWS/RDS',
      metricName: args.database.storage.metricName,
      dimensions: args.database.storage.dimensions,
      statistic: 'Minimum',
      period: 300,
      evaluationPeriods: 1,
      comparisonOperator: 'LessThanThreshold',
      threshold: a.databaseFreeStorageGb * 1024 ** 3,
      treatMissingData: 'missing',
    });

    this.topicArn = topic.arn;
    this.registerOutputs({ topicArn: this.topicArn });
  }
}
