/**
 * The compiled bundle's way to production: a private, versioned, encrypted S3 bucket, and the bundle
 * uploaded into it as an object named by its version (`bundles/sha256:….json`). The service's HERALD_BUNDLE
 * is that object's s3:// URL, so a new bundle is a new task definition and ECS rolls the service onto it;
 * an unchanged bundle changes nothing. Old objects stay (runs started under them are pinned in Postgres
 * anyway), so rolling back is deploying the previous commit.
 */
import { readFileSync } from 'node:fs';
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { parseBundle } from '../compiler/bundle/schema.ts';

export interface CompiledBundle {
  path: string;
  version: string;
  /** The object key: the version, so the name says exactly which bundle it is. */
  key: string;
}

/** Reads and validates the `herald build` output; the deploy refuses a missing or invalid bundle up front. */
export function readCompiledBundle(path: string): CompiledBundle {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new Error(`no bundle at ${path}: run \`npx herald build\` first (or set herald:bundlePath)`);
  }
  const { version } = parseBundle(JSON.parse(text));
  return { path, version, key: `bundles/${version}.json` };
}

export class BundleBucket extends pulumi.ComponentResource {
  readonly bucketName: pulumi.Output<string>;
  readonly bucketArn: pulumi.Output<string>;
  /** The uploaded bundle: `s3://bucket/key` for HERALD_BUNDLE, and its ARN for the task role. */
  readonly bundleUrl: pulumi.Output<string>;
  readonly bundleObjectArn: pulumi.Output<string>;
  readonly bundleKey: pulumi.Output<string>;

  constructor(name: string, args: { bundle: CompiledBundle; production: boolean }, opts?: pulumi.ComponentResourceOptions) {
    super('herald:infra:BundleBucket', name, {}, opts);
    const o = { parent: this };
    const bucket = new aws.s3.Bucket(`${name}-bundles`, { forceDestroy: !args.production }, o);
    const controls = [
      new aws.s3.BucketPublicAccessBlock(
        `${name}-bundles`,
        { bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
        o,
      ),
      new aws.s3.BucketOwnershipControls(`${name}-bundles`, { bucket: bucket.id, rule: { objectOwnership: 'BucketOwnerEnforced' } }, o),
      new aws.s3.BucketVersioning(`${name}-bundles`, { bucket: bucket.id, versioningConfiguration: { status: 'Enabled' } }, o),
      new aws.s3.BucketServerSideEncryptionConfiguration(
        `${name}-bundles`,
        { bucket: bucket.id, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms' }, bucketKeyEnabled: true }] },
        o,
      ),
    ];
    // TLS only, whoever asks.
    new aws.s3.BucketPolicy(
      `${name}-bundles`,
      {
        bucket: bucket.id,
        policy: pulumi.jsonStringify({
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'DenyInsecureTransport',
              Effect: 'Deny',
              Principal: { AWS: '*' },
              Action: 's3:*',
              Resource: [bucket.arn, pulumi.interpolate`${bucket.arn}/*`],
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            },
          ],
        }),
      },
      // After the public access block, so the policy is judged against it.
      { parent: this, dependsOn: controls },
    );
    const object = new aws.s3.BucketObjectv2(
      `${name}-bundle`,
      { bucket: bucket.id, key: args.bundle.key, source: new pulumi.asset.FileAsset(args.bundle.path), contentType: 'application/json' },
      // Encrypted and versioned before the first object lands.
      { parent: this, dependsOn: controls },
    );

    this.bucketName = bucket.bucket;
    this.bucketArn = bucket.arn;
    this.bundleKey = object.key;
    this.bundleUrl = pulumi.interpolate`s3://${bucket.bucket}/${object.key}`;
    this.bundleObjectArn = pulumi.interpolate`${bucket.arn}/${object.key}`;
    this.registerOutputs({ bucketName: this.bucketName, bundleUrl: this.bundleUrl });
  }
}
