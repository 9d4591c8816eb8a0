/**
 * What the runtime needs in production reaches the task: SendGrid's webhook verification key, the API key
 * and link-signing secret (Secrets Manager references, never values), the optional extra API keys and
 * Segment browser key when configured, and HERALD_HOST=0.0.0.0 so the load balancer can reach the
 * container (the runtime itself listens on loopback by default).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson } from '../../compiler/bundle/canonical.ts';
import { exampleBundle } from '../runtime/harness.ts';
import { containerDefinitionsOf, noPlainSecrets } from './policies.ts';
import { build, configFrom, readSettings, SENTINELS, unwrap, type Recorded } from './pulumi-harness.ts';

const WEBHOOK_KEY = 'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEmockwebhookkey==';
const EXTRA = { apiKeys: 'mock-extra-api-keys-61f0', segmentBrowserWriteKey: 'mock-browser-key-2a9c' };

let bundlePath: string;
const settingsWith = (values: Record<string, unknown>, secrets: Record<string, string>) =>
  readSettings(
    configFrom(
      { domain: 'notify.example.com', certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/abc', bundlePath, ...values },
      { apiKey: SENTINELS.apiKey, ...secrets },
    ),
    'test',
    '/work/herald',
  );
const heraldContainer = (resources: Recorded[]) => containerDefinitionsOf(resources).find((c) => c.name === 'herald')!;
const secretEntries = (resources: Recorded[]) => resources.filter((r) => r.type === 'aws:secretsmanager/secret:Secret').map((r) => String(r.inputs.name));

beforeAll(async () => {
  bundlePath = join(mkdtempSync(join(tmpdir(), 'herald-infra-settings-')), 'bundle.json');
  writeFileSync(bundlePath, canonicalJson(await exampleBundle()));
});

describe('a stack with every runtime setting configured', () => {
  let stack: Recorded[];
  beforeAll(async () => {
    stack = (await build('full', settingsWith({ metricsPort: 9464 }, { sendgridWebhookPublicKey: WEBHOOK_KEY, ...EXTRA }))).resources;
  }, 60_000);

  it('hands the task the webhook key, API keys, signing secret and browser key as Secrets Manager references', () => {
    const secrets = heraldContainer(stack).secrets!;
    for (const name of ['SENDGRID_WEBHOOK_PUBLIC_KEY', 'HERALD_API_KEY', 'HERALD_API_KEYS', 'HERALD_SIGNING_SECRET', 'SEGMENT_BROWSER_WRITE_KEY']) {
      expect(secrets.find((s) => s.name === name)?.valueFrom, name).toMatch(/^arn:aws:secretsmanager:/);
    }
    const versions = stack.filter((r) => r.type === 'aws:secretsmanager/secretVersion:SecretVersion').map((r) => String(unwrap(r.inputs.secretString)));
    expect(versions).toEqual(expect.arrayContaining([WEBHOOK_KEY, EXTRA.apiKeys, EXTRA.segmentBrowserWriteKey]));
    expect(noPlainSecrets(stack, [...Object.values(SENTINELS), WEBHOOK_KEY, ...Object.values(EXTRA)])).toEqual([]);
  });

  it('generates the signing secret: random, at least 32 characters', () => {
    const generated = stack.find((r) => r.type === 'random:index/randomPassword:RandomPassword' && r.name.endsWith('-signing-secret'))!;
    expect(generated.inputs.length).toBeGreaterThanOrEqual(32);
    expect(secretEntries(stack)).toContain('herald/test/signing-secret');
  });

  it('listens on every interface, and scrapes /metrics on its own port when one is set', () => {
    const [herald, metrics] = [heraldContainer(stack), containerDefinitionsOf(stack).find((c) => c.name === 'herald-metrics')!];
    expect(herald.environment).toEqual(
      expect.arrayContaining([
        { name: 'HERALD_HOST', value: '0.0.0.0' },
        { name: 'HERALD_METRICS_PORT', value: '9464' },
      ]),
    );
    expect(metrics.environment).toContainEqual({ name: 'HERALD_METRICS_URL', value: 'http://127.0.0.1:9464/metrics' });
  });
});

describe('a stack with only the required settings', () => {
  it('leaves the webhook key as a to-do and creates no entry for the optional keys', async () => {
    const { herald, resources } = await build('bare', settingsWith({}, {}));
    expect(herald.unsetSecrets).toContain('sendgrid-webhook');
    expect(secretEntries(resources)).toContain('herald/test/sendgrid-webhook');
    expect(secretEntries(resources).filter((n) => /api-keys|segment-browser/.test(n))).toEqual([]);
    const names = heraldContainer(resources).secrets!.map((s) => s.name);
    expect(names).toEqual(expect.arrayContaining(['HERALD_API_KEY', 'HERALD_SIGNING_SECRET']));
    expect(names).not.toContain('SENDGRID_WEBHOOK_PUBLIC_KEY');
    expect(heraldContainer(resources).environment).toContainEqual({ name: 'HERALD_HOST', value: '0.0.0.0' });
  }, 60_000);
});

describe('stack config', () => {
  it('refuses the webhook key as a plain variable, and names the key that sets it', () => {
    expect(() => settingsWith({ environment: { SENDGRID_WEBHOOK_PUBLIC_KEY: WEBHOOK_KEY } }, {})).toThrow(
      /must not carry secrets \(SENDGRID_WEBHOOK_PUBLIC_KEY\): pulumi config set --secret herald:sendgridWebhookPublicKey/,
    );
  });
});
