/** The example notifications compile to a bundle that is deterministic, valid, and free of secrets. */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson, contentVersion } from '../../compiler/bundle/canonical.ts';
import { bundleSchema, type Bundle } from '../../compiler/bundle/schema.ts';
import { buildProject } from '../../compiler/build.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('the example bundle', () => {
  let bundle: Bundle;
  let bytes: string;
  beforeAll(async () => {
    const result = await buildProject('notifications', { cwd: root });
    expect(result.diagnostics).toEqual([]);
    bundle = result.bundle!;
    bytes = canonicalJson(bundle);
  }, 60_000);

  it('validates against the bundle schema and carries its own content hash', () => {
    const parsed = bundleSchema.parse(JSON.parse(bytes));
    expect(parsed.formatVersion).toBe(1);
    const { version, ...content } = parsed;
    expect(version).toBe(contentVersion(content));
  });

  it('is byte-identical across builds, whatever order the files are written in', async () => {
    // Copy the folder (inside the package, so `herald` resolves) with files touched in reverse order.
    const copy = mkdtempSync(join(root, 'test', '.tmp-determinism-'));
    try {
      cpSync(join(root, 'notifications'), copy, { recursive: true });
      const again = await buildProject(copy, { cwd: root });
      expect(canonicalJson(again.bundle)).toBe(bytes);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  }, 60_000);

  it('changes version when a template changes', async () => {
    const copy = mkdtempSync(join(root, 'test', '.tmp-version-'));
    try {
      cpSync(join(root, 'notifications'), copy, { recursive: true });
      const file = join(copy, 'templates', 'onboarding.ts');
      writeFileSync(file, readFileSync(file, 'utf8').replace('welcome to the', 'welcome aboard the'));
      const changed = await buildProject(copy, { cwd: root });
      expect(changed.bundle?.version).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(changed.bundle?.version).not.toBe(bundle.version);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  }, 60_000);

  it('holds the names of secrets, never values', () => {
    expect(bundle.providers.sendgrid?.credentials).toEqual({ apiKey: { env: 'SENDGRID_API_KEY' } });
    expect(bytes).not.toMatch(/SG\.[\w-]{10,}|AC[0-9a-f]{32}|-----BEGIN/);
  });

  it('holds the seed flows', () => {
    expect(Object.keys(bundle.workflows).sort()).toEqual(
      ['cart-recovery', 'checkout-receipt', 'comment-digest', 'onboarding', 'security-code', 'trial-ending', 'welcome-everywhere'].sort(),
    );
    expect(bundle.templates['onboarding-welcome']?.content.email?.text).toContain('Hi {{first_name}}, welcome to the {{plan_type}} plan!');
    const onboarding = bundle.workflows.onboarding!;
    expect(onboarding.steps.map((s) => s.kind)).toEqual(['send', 'waitFor', 'branch']);
    expect(onboarding.steps[1]).toMatchObject({ kind: 'waitFor', timeoutMs: 7_200_000, until: { type: 'engagement', step: 'welcome', kind: 'opened' } });
    // readSync is written only where it is on: every other send keeps its bytes.
    expect(bundle.workflows['welcome-everywhere']!.steps[0]).toMatchObject({ id: 'welcome-all', readSync: true });
    expect(bytes.match(/"readSync"/g)).toHaveLength(1);
  });
});
