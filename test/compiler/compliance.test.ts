/**
 * The compliance lint in `herald check`, as a user runs it (a child process): a warning at the template's field
 * with the rule cited, a GitHub annotation in CI, exit 0; the same tree under `settings({ compliance: 'strict' })`
 * fails with exit 1. The rules themselves are unit-tested in compiler/compliance/lint.test.ts.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTree, ROOT, treeDir } from '../setup/tree.ts';

const bin = join(ROOT, 'compiler/cli/herald.js');

function herald(args: string[]) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, [bin, ...args], { cwd: ROOT, env: { ...process.env, GITHUB_ACTIONS: 'true' } }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const tree = (strict: boolean) => `import { category, event, provider, settings, template, workflow, z } from 'herald';
export const config = settings({ brand: { postalAddress: '1 Example Street' }${strict ? ", compliance: 'strict'" : ''} });
export const e = event('deal_found', { schema: z.object({ item: z.string() }) });
export const mail = provider('sandbox-email', { channel: 'email', kind: 'sandbox' });
export const promo = category('promo', { description: 'Offers', defaultChannels: ['email'], marketing: true });
export const deal = template('deal', {
  data: e,
  email: { subject: 'A deal on {{item}}', text: 'Half price on {{item}}. {{brand.postalAddress}}' },
});
export default workflow('deals', { trigger: e, category: promo, steps: (s) => [s.send('mail', { template: deal, channel: 'email' })] });
`;

function writeTree(name: string, strict: boolean): string {
  const dir = treeDir(name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'index.ts'), tree(strict));
  return relative(ROOT, dir);
}

afterAll(() => ['compliance-warn', 'compliance-strict'].forEach(removeTree));

describe('herald check and the compliance lint', () => {
  it('warns at the field, cites the rule, annotates the pull request, and exits 0; strict exits 1', async () => {
    const [warn, strict] = [writeTree('compliance-warn', false), writeTree('compliance-strict', true)];
    const [loose, failing] = await Promise.all([herald(['check', warn]), herald(['check', strict])]);

    expect(loose.code).toBe(0);
    expect(loose.stderr).toContain(
      `${warn}/index.ts:8:49 - warning compliance-unsubscribe: CAN-SPAM §7704(a)(3), (a)(5)(A)(ii): template "deal" is sent by email in category "promo" (workflow "deals" step "mail"), which users can opt out of, but its email.text carries no unsubscribe link`,
    );
    expect(loose.stdout).toMatch(new RegExp(`^::warning file=${warn}/index\\.ts,line=8,col=49,title=compliance-unsubscribe::CAN-SPAM`, 'm'));

    expect(failing.code).toBe(1);
    expect(failing.stderr).toContain(`${strict}/index.ts:8:49 - error compliance-unsubscribe:`);
    expect(failing.stdout).toMatch(/^::error file=.*,title=compliance-unsubscribe::/m);
  });
});
