/**
 * Where the runtime's bundle comes from: a file (development, `herald dev`, tests) or an `s3://bucket/key`
 * URL (production: the deploy uploads the compiled bundle under its version and points HERALD_BUNDLE at
 * it, so a new bundle is a new task definition and the service rolls onto it).
 *
 * S3 is read with the AWS SDK's default credential chain (the ECS task role in production) and honours the
 * SDK's own endpoint overrides, AWS_ENDPOINT_URL_S3 and AWS_ENDPOINT_URL (MinIO, LocalStack, the tests'
 * fake). Only an overridden endpoint is addressed path-style: those servers rarely resolve
 * `bucket.host` names, while AWS itself prefers virtual-hosted requests.
 */
import { readFile } from 'node:fs/promises';
import type { S3Client } from '@aws-sdk/client-s3';

export interface S3Location {
  bucket: string;
  key: string;
}

/** `s3://bucket/key` → its parts; null for anything else (a file path). The key is taken literally. */
export function parseS3Url(source: string): S3Location | null {
  if (!source.startsWith('s3://')) return null;
  const rest = source.slice('s3://'.length);
  const slash = rest.indexOf('/');
  if (slash <= 0 || slash === rest.length - 1) throw new Error(`"${source}" is not an s3://bucket/key URL`);
  return { bucket: rest.slice(0, slash), key: rest.slice(slash + 1) };
}

export function isS3Url(source: string): boolean {
  return source.startsWith('s3://');
}

let defaultClient: Promise<S3Client> | null = null;

/** One client per process, built on first use: a runtime reading a file never loads the SDK. */
function s3Client(env: NodeJS.ProcessEnv): Promise<S3Client> {
  defaultClient ??= import('@aws-sdk/client-s3').then(
    ({ S3Client }) => new S3Client({ forcePathStyle: Boolean(env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL) }),
  );
  return defaultClient;
}

export interface ReadOptions {
  /** A client of the caller's (tests); otherwise one from the environment. */
  s3?: S3Client;
  env?: NodeJS.ProcessEnv;
}

/**
 * The bundle's text. A file that cannot be read throws the fs error (the caller knows what to advise);
 * an S3 failure throws an Error that names the URL and what S3 said (no such key, access denied, …).
 */
export async function readBundleText(source: string, options: ReadOptions = {}): Promise<string> {
  const location = parseS3Url(source);
  if (!location) return readFile(source, 'utf8');
  const { GetObjectCommand } = await import('@aws-sdk/client-s3');
  const client = options.s3 ?? (await s3Client(options.env ?? process.env));
  try {
    const response = await client.send(new GetObjectCommand({ Bucket: location.bucket, Key: location.key }));
    if (!response.Body) throw new Error('the object has no body');
    return await response.Body.transformToString('utf8');
  } catch (error) {
    const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
    const status = e.$metadata?.httpStatusCode ? ` (HTTP ${e.$metadata.httpStatusCode})` : '';
    throw new Error(`cannot read bundle "${source}" from S3: ${e.name ?? 'Error'}: ${e.message ?? String(error)}${status}`, { cause: error });
  }
}
