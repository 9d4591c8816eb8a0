/**
 * `pulumi up` here deploys Herald: settings from the stack's config (Pulumi.<stack>.yaml, `herald:*`), the
 * compiled bundle from ../dist/bundle.json, the image from ../Dockerfile. See infra/README.md.
 */
import { fileURLToPath } from 'node:url';
import * as pulumi from '@pulumi/pulumi';
import { Herald } from './herald.ts';
import { readSettings } from './settings.ts';

const root = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');
const settings = readSettings(new pulumi.Config('herald'), pulumi.getStack(), root);
const herald = new Herald('herald', settings);

export const url = herald.url;
export const loadBalancerDnsName = herald.loadBalancerDnsName;
export const bundleVersion = herald.bundleVersion;
export const bundleUrl = herald.bundleUrl;
export const bundleBucket = herald.bucketName;
export const imageRepository = herald.repositoryUrl;
export const cluster = herald.clusterName;
export const service = herald.serviceName;
export const logGroup = herald.logGroupName;
export const alarmTopic = herald.alarmTopicArn;
/** `aws secretsmanager get-secret-value --secret-id <this>` gives the API key for clients. */
export const apiKeySecret = herald.apiKeySecretName;
/** Providers whose credentials are not configured: their sends stay in the runtime's sandbox. */
export const unsetSecrets = herald.unsetSecrets;
