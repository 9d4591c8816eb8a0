/**
 * Compile-time benchmark: the example folder and generated trees of 200 and 1,000 workflows (--quick: 200).
 * Baseline, same run: a type-check alone of the same files — the same TypeScript (ts-morph's), the same
 * options, the same program Herald opens (compiler/load/source.ts), only `getPreEmitDiagnostics`. It is the
 * floor of a build; the ratio is what evaluation, lowering and the checks add to it.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ts } from 'ts-morph';
import { buildProject } from '../compiler/build.ts';
import { discoverFiles } from '../compiler/load/discover.ts';
import { openProgram } from '../compiler/load/source.ts';
import { generateTree } from './generate-tree.ts';

const root = fileURLToPath(new URL('..', import.meta.url));

function typeCheckOnly(dir: string): number {
  const t0 = performance.now();
  const program = openProgram(discoverFiles(dir), root);
  const errors = program.project.getPreEmitDiagnostics().filter((d) => d.getCategory() === ts.DiagnosticCategory.Error);
  if (errors.length) throw new Error(`${dir}: TypeScript reports ${errors.length} errors, e.g. ${String(errors[0]!.getMessageText())}`);
  return Math.round(performance.now() - t0);
}

async function time(dir: string) {
  const baselineTypeCheckMs = typeCheckOnly(dir);
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
    baselineTypeCheckMs,
    ratioToTypeCheck: +(t.totalMs / baselineTypeCheckMs).toFixed(2),
  };
}

export async function benchCompile(options: { quick: boolean }) {
  // Warm-up, untimed: the first build of a process (and the first bare type-check) loads TypeScript and its lib
  // files and JIT-compiles the checker.
  await buildProject(join(root, 'notifications'), { cwd: root });
  typeCheckOnly(join(root, 'notifications'));
  const example = await time(join(root, 'notifications'));
  const tree200 = await time(generateTree(join(root, 'bench', '.generated', 'tree-200'), 200));
  const tree1000 = options.quick ? null : await time(generateTree(join(root, 'bench', '.generated', 'tree-1000'), 1000));
  return {
    example,
    tree200,
    tree1000,
    /** How time grows from 200 to 1,000 workflows (5× the size): ~5 means linear. */
    growth200to1000: tree1000 ? +(tree1000.totalMs / tree200.totalMs).toFixed(2) : null,
    msPerWorkflowAt200: +(tree200.totalMs / tree200.workflows).toFixed(2),
    target: { tree200UnderMs: 10_000, met: tree200.totalMs < 10_000 },
  };
}

// `npx tsx bench/compile.ts` runs it alone.
if (import.meta.url === `file://${process.argv[1]}`) {
  process.stdout.write(`${JSON.stringify(await benchCompile({ quick: process.argv.includes('--quick') }), null, 2)}\n`);
}
