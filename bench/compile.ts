/** Compile-time benchmark: the example folder and generated trees of 200 and 1,000 workflows. */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildProject } from '../compiler/build.ts';
import { generateTree } from './generate-tree.ts';

const root = fileURLToPath(new URL('..', import.meta.url));

async function time(dir: string) {
  const result = await buildProject(dir, { cwd: root });
  if (!result.bundle) throw new Error(`${dir} did not compile: ${result.diagnostics[0]?.message}`);
  const t = result.timings;
  return {
    files: result.files.length,
    workflows: Object.keys(result.bundle.workflows).length,
    templates: Object.keys(result.bundle.templates).length,
    totalMs: Math.round(t.totalMs),
    typecheckMs: Math.round(t.typecheckMs),
    evaluateMs: Math.round(t.evaluateMs),
    lowerMs: Math.round(t.lowerMs),
  };
}

export async function benchCompile(options: { quick: boolean }) {
  const example = await time(join(root, 'notifications'));
  const sizes = options.quick ? [200] : [200, 1000];
  const trees: Record<string, Awaited<ReturnType<typeof time>>> = {};
  for (const n of sizes) trees[`tree${n}`] = await time(generateTree(join(root, 'bench', '.generated', `tree-${n}`), n));
  const t200 = trees.tree200!;
  const growth = trees.tree1000 ? +(trees.tree1000.totalMs / t200.totalMs).toFixed(2) : null;
  return {
    example,
    ...trees,
    /** How time grows from 200 to 1,000 workflows (5× the size): ~5 means linear. */
    growth200to1000: growth,
    msPerWorkflowAt200: +(t200.totalMs / t200.workflows).toFixed(2),
    target: { tree200UnderMs: 10_000, met: t200.totalMs < 10_000 },
  };
}
