/**
 * The Pulumi project files as shipped: Pulumi.yaml runs index.ts through tsx, and the example stack config
 * (Pulumi.dev.yaml) reads into valid settings and builds a stack that keeps the policies.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../compiler/bundle/canonical.ts';
import { exampleBundle } from '../runtime/harness.ts';
import { alarmsCoverSignals, bucketIsPrivateAndVersioned, databaseIsEncryptedAndPrivate, taskRoleHasNoWildcards } from './policies.ts';
import { build, configFrom, readSettings } from './pulumi-harness.ts';

// js-yaml comes with @pulumi/pulumi (the Pulumi CLI's own YAML reader is not at hand here).
const yaml = createRequire(import.meta.url)('js-yaml') as { load(text: string): unknown };
const infra = fileURLToPath(new URL('../../infra/', import.meta.url));

describe('Pulumi.yaml', () => {
  it('names index.ts as the program and runs it through tsx', () => {
    const project = yaml.load(readFileSync(join(infra, 'Pulumi.yaml'), 'utf8')) as {
      name: string;
      main: string;
      runtime: { name: string; options: Record<string, unknown> };
    };
    expect(project).toMatchObject({ name: 'herald', main: 'index.ts', runtime: { name: 'nodejs', options: { typescript: false, nodeargs: '--import tsx' } } });
  });
});

describe('Pulumi.dev.yaml', () => {
  it('reads into settings and builds a stack that keeps the policies', async () => {
    const file = yaml.load(readFileSync(join(infra, 'Pulumi.dev.yaml'), 'utf8')) as { config: Record<string, unknown> };
    const herald = Object.fromEntries(
      Object.entries(file.config)
        .filter(([key]) => key.startsWith('herald:'))
        .map(([key, value]) => [key.slice('herald:'.length), value]),
    );
    expect(file.config['aws:region']).toMatch(/^[a-z]{2}-[a-z]+-\d$/);
    const bundlePath = join(mkdtempSync(join(tmpdir(), 'herald-devstack-')), 'bundle.json');
    writeFileSync(bundlePath, canonicalJson(await exampleBundle()));
    const settings = readSettings(configFrom({ ...herald, bundlePath }), 'dev', '/work/herald');
    expect(settings).toMatchObject({
      production: false,
      domain: 'notify.dev.example.com',
      network: { mode: 'create', zones: 2, natGateways: 'single' },
      database: { engine: 'rds' },
    });
    const { resources } = await build('devyaml', settings);
    expect(databaseIsEncryptedAndPrivate(resources, { production: false })).toEqual([]);
    expect(bucketIsPrivateAndVersioned(resources)).toEqual([]);
    expect(taskRoleHasNoWildcards(resources)).toEqual([]);
    expect(alarmsCoverSignals(resources)).toEqual([]);
  });
});
