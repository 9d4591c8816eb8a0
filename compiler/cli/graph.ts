/**
 * `herald graph WORKFLOW`: a workflow as a diagram (Mermaid or SVG). The work is in compiler/graph; this
 * module reads arguments, loads the bundle and writes output.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { buildProject } from '../build.ts';
import type { Bundle } from '../bundle/schema.ts';
import { readBundleFile } from '../diff/sides.ts';
import { workflowMermaid } from '../graph/mermaid.ts';
import { workflowSvg } from '../graph/svg.ts';
import { closest } from '../templates/closest.ts';
import { EXIT, UsageError } from './exit.ts';
import { outputOptions, reportDiagnostics } from './output.ts';

const FORMATS = ['mermaid', 'svg'] as const;

async function bundleFor(flags: { dir: string; bundle?: string }): Promise<Bundle | null> {
  if (flags.bundle !== undefined) return readBundleFile(flags.bundle, process.cwd());
  const result = await buildProject(flags.dir);
  if (!result.bundle) reportDiagnostics(result.diagnostics, outputOptions({}));
  return result.bundle;
}

export async function graphCommand(workflow: string, flags: { format: string; dir: string; bundle?: string; out?: string }): Promise<number> {
  const format = FORMATS.find((f) => f === flags.format);
  if (!format) throw new UsageError(`--format "${flags.format}" is not one of: ${FORMATS.join(', ')}`);
  const bundle = await bundleFor(flags);
  if (!bundle) return EXIT.problems;
  const found = bundle.workflows[workflow];
  if (!found) {
    const ids = Object.keys(bundle.workflows).sort();
    const guess = closest(workflow, ids);
    throw new UsageError(`no workflow "${workflow}"${guess ? `; did you mean "${guess}"?` : ''} (workflows: ${ids.join(', ') || 'none'})`);
  }
  const output = format === 'svg' ? workflowSvg(found) : workflowMermaid(found);
  if (flags.out === undefined) {
    process.stdout.write(output);
  } else {
    const out = resolve(flags.out);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, output);
    process.stderr.write(`✓ wrote ${flags.out}\n`);
  }
  return EXIT.ok;
}
