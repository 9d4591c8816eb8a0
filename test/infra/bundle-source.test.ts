/**
 * HERALD_BUNDLE=s3://bucket/key: the runtime reads its bundle from S3 through the AWS SDK, pointed at a
 * local fake S3 by the SDK's own endpoint override (AWS_ENDPOINT_URL_S3), as production points it at AWS.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson } from '../../compiler/bundle/canonical.ts';
import type { Bundle } from '../../compiler/bundle/schema.ts';
import { parseS3Url, readBundleText } from '../../runtime/bundle-source.ts';
import { BundleError, readBundleFile } from '../../runtime/bundles.ts';
import { freshDatabase } from '../setup/database.ts';
import { eventually, exampleBundle } from '../runtime/harness.ts';
import { startFakeS3, type FakeS3 } from './fake-s3.ts';

const bin = fileURLToPath(new URL('../../compiler/cli/herald.js', import.meta.url));
const BUCKET = 'herald-bundles-test';

let s3: FakeS3;
let bundle: Bundle;
let key: string;
let awsEnv: Record<string, string>;

beforeAll(async () => {
  s3 = await startFakeS3();
  bundle = await exampleBundle();
  // The deploy's naming: the object is named by the bundle's version (a colon and all).
  key = `bundles/${bundle.version}.json`;
  s3.objects.set(`${BUCKET}/${key}`, canonicalJson(bundle));
  // `localhost`, not an IP: the SDK would fall back to path-style for an IP by itself, which would hide a
  // missing forcePathStyle.
  awsEnv = {
    AWS_ENDPOINT_URL_S3: s3.url.replace('127.0.0.1', 'localhost'),
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'AKIDTEST',
    AWS_SECRET_ACCESS_KEY: 'test-secret',
  };
  Object.assign(process.env, awsEnv);
});

afterAll(async () => {
  for (const name of Object.keys(awsEnv ?? {})) delete process.env[name];
  await s3?.close();
});

describe('parseS3Url', () => {
  it('splits bucket and key, and leaves file paths alone', () => {
    expect(parseS3Url('s3://b/bundles/sha256:ab.json')).toEqual({ bucket: 'b', key: 'bundles/sha256:ab.json' });
    expect(parseS3Url('dist/bundle.json')).toBeNull();
    expect(() => parseS3Url('s3://bucket-only')).toThrow('is not an s3://bucket/key URL');
    expect(() => parseS3Url('s3://bucket/')).toThrow('is not an s3://bucket/key URL');
  });
});

describe('reading a bundle from S3', () => {
  it('gets the object path-style from the overridden endpoint, signed', async () => {
    const text = await readBundleText(`s3://${BUCKET}/${key}`);
    expect(JSON.parse(text).version).toBe(bundle.version);
    const request = s3.requests.at(-1)!;
    expect(request.method).toBe('GET');
    expect(decodeURIComponent(request.path)).toBe(`/${BUCKET}/${key}`);
    expect(request.headers.host).toMatch(/^localhost:\d+$/);
    expect(String(request.headers.authorization)).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDTEST\//);
  });

  it('readBundleFile parses and validates what S3 returned', async () => {
    const loaded = await readBundleFile(`s3://${BUCKET}/${key}`);
    expect(loaded.version).toBe(bundle.version);
    expect(Object.keys(loaded.workflows)).toEqual(Object.keys(bundle.workflows));
  });

  it('a missing key is a BundleError naming the URL and what S3 said', async () => {
    const error = await readBundleFile(`s3://${BUCKET}/bundles/nope.json`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BundleError);
    expect((error as Error).message).toContain(`cannot read bundle "s3://${BUCKET}/bundles/nope.json" from S3: NoSuchKey`);
    expect((error as Error).message).toContain('HTTP 404');
  });

  it('an object that is not a bundle is rejected like a bad file', async () => {
    s3.objects.set(`${BUCKET}/bundles/bad.json`, '{"formatVersion":1}');
    await expect(readBundleFile(`s3://${BUCKET}/bundles/bad.json`)).rejects.toThrow(/is not a valid Herald bundle/);
  });

  it('a file path is still read from disk', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'herald-bundle-file-')), 'bundle.json');
    writeFileSync(path, canonicalJson(bundle));
    expect((await readBundleFile(path)).version).toBe(bundle.version);
  });

  it('`herald start` with HERALD_BUNDLE=s3://… loads it and is ready', async () => {
    const before = s3.requests.length;
    const child = spawn(process.execPath, [bin, 'start'], {
      env: {
        ...process.env,
        ...awsEnv,
        HERALD_BUNDLE: `s3://${BUCKET}/${key}`,
        DATABASE_URL: await freshDatabase('bundle_s3'),
        PORT: '0',
        HERALD_API_KEY: 's3-key-0123456789-0123456789-0123456789',
        HERALD_SIGNING_SECRET: 's3-signing-secret-0123456789-0123456789',
      },
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const url = await eventually('the banner', async () => /API\s+(http:\/\/localhost:\d+)/.exec(out)?.[1], 30_000);
      expect(out).toContain(`Bundle     ${bundle.version.slice(0, 19)}`);
      expect((await fetch(`${url}/readyz`)).status).toBe(200);
      expect(s3.requests.slice(before).some((r) => decodeURIComponent(r.path) === `/${BUCKET}/${key}`)).toBe(true);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  }, 60_000);
});
