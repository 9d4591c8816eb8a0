/**
 * `herald diff` benchmark: the model diff and its Markdown between the 200-workflow tree and a copy with
 * changes spread through it (timeouts, template text, removed steps, new required fields, five new
 * workflows). Both bundles are built first and not timed: the figure is what the diff adds to a CI job
 * that already compiles.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildProject } from '../compiler/build.ts';
import type { Bundle } from '../compiler/bundle/schema.ts';
import { diffBundles } from '../compiler/diff/diff.ts';
import { renderMarkdown } from '../compiler/diff/markdown.ts';
import { generateTree } from './generate-tree.ts';
import { summary } from './stats.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const WORKFLOWS = 200;
const ADDED = 5;

function edit(file: string, from: string, to: string): void {
  const text = readFileSync(file, 'utf8');
  if (!text.includes(from)) throw new Error(`bench/diff: "${from}" not found in ${file}; did generate-tree.ts change?`);
  writeFileSync(file, text.replace(from, to));
}

/** The head tree: the same 200 workflows with edits every few files, plus a few new workflows. */
function writeHeadTree(dir: string): string {
  generateTree(dir, WORKFLOWS + ADDED);
  for (let i = 0; i < WORKFLOWS; i++) {
    const file = join(dir, 'workflows', `flow-${i}.ts`);
    if (i % 10 === 0) edit(file, "timeout: '2h'", "timeout: '3h'");
    if (i % 7 === 0) edit(file, "subject: 'Hello {{first_name}}'", "subject: 'Hey {{first_name}}, a quick update'");
    if (i % 25 === 0) edit(file, `{ otherwise: [s.send('nudge-sms', { template: nudge${i}, channel: 'sms' })] }`, '{ otherwise: [] }');
    if (i % 50 === 0) {
      edit(file, 'count: z.number() })', 'count: z.number(), region: z.string() })');
      edit(file, `count: ${i} }]`, `count: ${i}, region: 'eu' }]`);
    }
  }
  return dir;
}

async function build(dir: string): Promise<Bundle> {
  const result = await buildProject(dir, { cwd: root, skipTypeCheck: true });
  if (!result.bundle) throw new Error(`${dir} did not compile: ${result.diagnostics[0]?.message}`);
  return result.bundle;
}

export async function benchDiff(options: { quick: boolean }) {
  const generated = join(root, 'bench', '.generated');
  const [base, head] = await Promise.all([
    build(generateTree(join(generated, `diff-base-${WORKFLOWS}`), WORKFLOWS)),
    build(writeHeadTree(join(generated, `diff-head-${WORKFLOWS}`))),
  ]);

  const run = () => {
    const t0 = performance.now();
    const diff = diffBundles(base, head, { base: 'base', head: 'head' });
    const t1 = performance.now();
    const markdown = renderMarkdown(diff, head);
    const t2 = performance.now();
    return { diff, markdown, diffMs: t1 - t0, markdownMs: t2 - t1, totalMs: t2 - t0 };
  };

  for (let i = 0; i < 3; i++) run(); // warm-up: JIT, not the figure
  const iterations = options.quick ? 20 : 100;
  const runs = Array.from({ length: iterations }, run);
  const last = runs[runs.length - 1]!;
  const totals = summary(runs.map((r) => r.totalMs));
  return {
    workflows: { base: Object.keys(base.workflows).length, head: Object.keys(head.workflows).length },
    changes: {
      workflowsChanged: last.diff.workflows.changed.length,
      workflowsAdded: last.diff.workflows.added.length,
      templatesChanged: last.diff.templates.changed.length,
      eventsChanged: last.diff.events.changed.length,
      breaking: last.diff.flags.filter((f) => f.kind === 'breaking').length,
    },
    markdownKb: +(Buffer.byteLength(last.markdown) / 1024).toFixed(1),
    diffMs: summary(runs.map((r) => r.diffMs)),
    markdownMs: summary(runs.map((r) => r.markdownMs)),
    totalMs: totals,
    target: { p50UnderMs: 1_000, met: totals.p50 < 1_000 },
  };
}

// `npx tsx bench/diff.ts [--quick]` runs this benchmark alone.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const result = await benchDiff({ quick: process.argv.includes('--quick') });
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}
