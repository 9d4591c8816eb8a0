/**
 * The runtime image: an ECR repository of the stack's own, and the image built from the repository's root
 * Dockerfile and pushed there by `pulumi up` (docker-build; needs a Docker engine where Pulumi runs).
 * A CI that builds and pushes the image itself sets herald:imageUri to it instead (it must be in this
 * repository: the execution role may pull from it and nowhere else).
 */
import * as aws from '@pulumi/aws';
import * as dockerBuild from '@pulumi/docker-build';
import * as pulumi from '@pulumi/pulumi';
import type { ImageSettings } from './settings.ts';

export class RuntimeImage extends pulumi.ComponentResource {
  /** What the task definition runs: a digest-pinned reference, so a rebuilt tag cannot change a running task. */
  readonly ref: pulumi.Output<string>;
  readonly repositoryArn: pulumi.Output<string>;
  readonly repositoryUrl: pulumi.Output<string>;

  constructor(name: string, args: { settings: ImageSettings; production: boolean; stack: string }, opts?: pulumi.ComponentResourceOptions) {
    super('herald:infra:RuntimeImage', name, {}, opts);
    const o = { parent: this };
    const repository = new aws.ecr.Repository(
      `${name}-runtime`,
      {
        // The tag moves with each build; tasks run the digest (`ref`), which never does.
        imageTagMutability: 'MUTABLE',
        imageScanningConfiguration: { scanOnPush: true },
        encryptionConfigurations: [{ encryptionType: 'KMS' }],
        forceDelete: !args.production,
      },
      o,
    );
    new aws.ecr.LifecyclePolicy(
      `${name}-runtime`,
      {
        repository: repository.name,
        policy: JSON.stringify({
          // Superseded builds lose their tag; keep the last 30 of them for rollbacks.
          rules: [
            {
              rulePriority: 1,
              description: 'keep 30 superseded images',
              selection: { tagStatus: 'untagged', countType: 'imageCountMoreThan', countNumber: 30 },
              action: { type: 'expire' },
            },
          ],
        }),
      },
      o,
    );

    if (args.settings.uri) {
      this.ref = pulumi.output(args.settings.uri);
    } else {
      const token = aws.ecr.getAuthorizationTokenOutput({ registryId: repository.registryId }, o);
      const image = new dockerBuild.Image(
        `${name}-runtime`,
        {
          context: { location: args.settings.context },
          dockerfile: { location: args.settings.dockerfile },
          platforms: [args.settings.platform],
          push: true,
          tags: [pulumi.interpolate`${repository.repositoryUrl}:${args.stack}`],
          registries: [{ address: repository.repositoryUrl, username: token.userName, password: pulumi.secret(token.password) }],
          // A preview needs no Docker engine.
          buildOnPreview: false,
        },
        o,
      );
      this.ref = image.ref;
    }
    this.repositoryArn = repository.arn;
    this.repositoryUrl = repository.repositoryUrl;
    this.registerOutputs({ ref: this.ref });
  }
}
