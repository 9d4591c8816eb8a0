/**
 * `settings({ addressGrace })`: compiled to `settings.addressGrace` in ms only when written, so bundles without
 * it keep their bytes (the engine's 10 s default applies); '0s' is kept (no wait); a grace past the retention is
 * refused at its field.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildProject } from '../../compiler/build.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
// The compliance lint's warnings have their own tests (compiler/compliance, test/compiler/compliance.test.ts): the
// fixtures' shared email has no footer, and each fixture pins the one check it is about.
const build = async (name: string) => {
  const result = await buildProject(`test/fixtures/${name}`, { cwd: root });
  return { ...result, diagnostics: result.diagnostics.filter((d) => !d.code.startsWith('compliance-')) };
};

describe('the address grace in the bundle', () => {
  it('lowers addressGrace to ms', async () => {
    const result = await build('address-grace');
    expect(result.diagnostics).toEqual([]);
    expect(result.bundle?.settings).toEqual({ retentionMs: 30 * 86_400_000, addressGrace: 3_000 });
  });

  it('writes no addressGrace key when it is not set', async () => {
    const result = await build('valid');
    expect(result.bundle).not.toBeNull();
    expect('addressGrace' in result.bundle!.settings).toBe(false);
  });

  it('ships the example with the default written out', async () => {
    const result = await buildProject('notifications', { cwd: root });
    expect(result.bundle?.settings.addressGrace).toBe(10_000);
  });

  it('refuses a grace longer than the retention, at its field', async () => {
    const result = await build('address-grace-too-long');
    expect(result.bundle).toBeNull();
    expect(result.diagnostics.map((d) => `${d.file.replace('test/fixtures/', '')}:${d.line}:${d.column} ${d.code}: ${d.message}`)).toEqual([
      'address-grace-too-long/index.ts:6:65 exceeds-retention: settings addressGrace holds sends for 2d, longer than the retention of 1d',
    ]);
  });
});
