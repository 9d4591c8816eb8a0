/**
 * Golden files for `herald diff`: each fixtures/<case>/ holds a notifications folder before and after one
 * change, and the exact Markdown the diff must print for it. Run with HERALD_UPDATE_GOLDEN=1 to rewrite
 * the expected files after an intended change of wording, then review them like any other diff.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildProject } from '../../compiler/build.ts';
import type { Bundle } from '../../compiler/bundle/schema.ts';
import { diffBundles } from '../../compiler/diff/diff.ts';
import { renderMarkdown } from '../../compiler/diff/markdown.ts';
import type { BundleDiff } from '../../compiler/diff/model.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const fixtures = join(root, 'test/diff/fixtures');
const cases = readdirSync(fixtures).sort();

async function build(dir: string): Promise<Bundle> {
  // The fixtures are type-checked with the repository (tsconfig includes test/); here only the bundle matters.
  const result = await buildProject(dir, { cwd: root, skipTypeCheck: true });
  if (!result.bundle) throw new Error(`${dir} does not compile: ${result.diagnostics.map((d) => `${d.file}:${d.line} ${d.message}`).join('; ')}`);
  return result.bundle;
}

const built = new Map<string, { diff: BundleDiff; markdown: string }>();

beforeAll(async () => {
  // Every fixture compiles in its own child process: build them all at once.
  await Promise.all(
    cases.map(async (name) => {
      const [before, after] = await Promise.all([build(join(fixtures, name, 'before')), build(join(fixtures, name, 'after'))]);
      const diff = diffBundles(before, after, { base: 'before', head: 'after' });
      built.set(name, { diff, markdown: renderMarkdown(diff, after) });
    }),
  );
}, 180_000);

describe('herald diff golden files', () => {
  it('covers the cases the contract names', () => {
    expect(cases).toEqual(
      expect.arrayContaining(['timeout-changed', 'template-text-changed', 'step-removed', 'required-event-field', 'category-gains-channel', 'workflow-added']),
    );
  });

  for (const name of cases) {
    it(`${name}: Markdown matches expected.md`, () => {
      const expectedFile = join(fixtures, name, 'expected.md');
      const { markdown } = built.get(name)!;
      if (process.env.HERALD_UPDATE_GOLDEN === '1') writeFileSync(expectedFile, markdown);
      expect(existsSync(expectedFile), `${expectedFile} is missing: run with HERALD_UPDATE_GOLDEN=1`).toBe(true);
      expect(markdown).toBe(readFileSync(expectedFile, 'utf8'));
    });
  }

  it('flags what must be flagged, and nothing in the harmless cases', () => {
    const flags = (name: string) => built.get(name)!.diff.flags.map((f) => `${f.kind}:${f.rule}`);
    expect(flags('step-removed')).toEqual(['breaking:step-removed']);
    expect(flags('step-renamed')).toEqual(['breaking:step-renamed']);
    expect(flags('required-event-field')).toEqual(['breaking:event-required-field']);
    expect(flags('category-gains-channel')).toEqual(['resubscribe:category-default-channel-added']);
    expect(flags('provider-endpoint-changed')).toEqual([
      'security:provider-endpoint-changed',
      'security:provider-credentials-changed',
      'security:provider-kind-changed',
    ]);
    // The added workflow's email has no footer: the compliance lint's findings are new in the head.
    expect(flags('workflow-added')).toEqual(['compliance:compliance-violation-introduced', 'compliance:compliance-violation-introduced']);
    for (const harmless of ['timeout-changed', 'template-text-changed', 'routing-and-condition-changed']) {
      expect(flags(harmless)).toEqual([]);
    }
  });

  it('records step-level changes as data for --json', () => {
    const timeout = built.get('timeout-changed')!.diff.workflows.changed[0]!;
    expect(timeout.changes).toEqual([
      { path: 'steps.welcome-opened.timeoutMs', summary: 'wait `welcome-opened`: timeout 2h → 3h', before: 7_200_000, after: 10_800_000 },
    ]);
    expect(timeout.steps).toEqual({ added: [], removed: [], renamed: [], replaced: [], changed: ['welcome-opened'] });
  });
});
