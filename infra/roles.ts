/**
 * The two IAM roles of the task, each with exact resources:
 * - the task role is what the runtime's own code uses: read the one bundle object it runs, nothing else
 *   (no wildcard anywhere);
 * - the execution role is what the ECS agent uses to start the task: pull this stack's image, write to
 *   this stack's log group, and read these secrets. Two wildcards remain, both forced by AWS:
 *   ecr:GetAuthorizationToken has no resource-level permission (Resource must be "*"), and log streams are
 *   named by task id at start (`<log group>:log-stream:*`).
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';

const assumedByEcsTasks = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'ecs-tasks.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});

export interface RolesArgs {
  bundleObjectArn: pulumi.Input<string>;
  secretArns: pulumi.Input<string>[];
  repositoryArn: pulumi.Input<string>;
  logGroupArn: pulumi.Input<string>;
}

export class TaskRoles extends pulumi.ComponentResource {
  readonly taskRoleArn: pulumi.Output<string>;
  readonly executionRoleArn: pulumi.Output<string>;

  constructor(name: string, args: RolesArgs, opts?: pulumi.ComponentResourceOptions) {
    super('herald:infra:TaskRoles', name, {}, opts);
    const o = { parent: this };

    const task = new aws.iam.Role(`${name}-task`, { assumeRolePolicy: assumedByEcsTasks, description: 'Herald runtime: reads its bundle' }, o);
    new aws.iam.RolePolicy(
      `${name}-task`,
      {
        role: task.id,
        policy: pulumi.jsonStringify({
          Version: '2012-10-17',
          Statement: [{ Sid: 'ReadTheBundle', Effect: 'Allow', Action: ['s3:GetObject'], Resource: [args.bundleObjectArn] }],
        }),
      },
      o,
    );

    const execution = new aws.iam.Role(
      `${name}-execution`,
      { assumeRolePolicy: assumedByEcsTasks, description: 'ECS agent for Herald: image, logs, secrets' },
      o,
    );
    new aws.iam.RolePolicy(
      `${name}-execution`,
      {
        role: execution.id,
        policy: pulumi.jsonStringify({
          Version: '2012-10-17',
          Statement: [
            { Sid: 'EcrLogin', Effect: 'Allow', Action: ['ecr:GetAuthorizationToken'], Resource: '*' },
            {
              Sid: 'PullTheImage',
              Effect: 'Allow',
              Action: ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
              Resource: [args.repositoryArn],
            },
            {
              Sid: 'WriteLogs',
              Effect: 'Allow',
              Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
              Resource: [pulumi.interpolate`${args.logGroupArn}:log-stream:*`],
            },
            { Sid: 'ReadTheSecrets', Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: args.secretArns },
          ],
        }),
      },
      o,
    );

    this.taskRoleArn = task.arn;
    this.executionRoleArn = execution.arn;
    this.registerOutputs({});
  }
}
