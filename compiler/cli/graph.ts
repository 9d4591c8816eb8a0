/**
 * `herald graph WORKFLOW`: a workflow as a diagram (Mermaid or SVG). The work is in compiler/graph; this
 * module reads arguments, loads the bundle and writes output.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { buildProject } from '../build.ts';
import { broadcastWorkflow } from '../bundle/broadcasts.ts';
import type { Bundle, Workflow } from '../bundle/schema.ts';
import { broadcastLines } from '../graph/describe.ts';
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

/**
 * The workflow `id` names, or the broadcast's: a broadcast is drawn as the workflow its runs execute, headed by
 * who it reaches, its rate and its window. A workflow wins when both have the id (they are told apart in the
 * error's lists).
 */
function graphable(bundle: Bundle, id: string): { workflow: Workflow; heading?: string[] } {
  if (Object.hasOwn(bundle.workflows, id)) return { workflow: bundle.workflows[id]! };
  const broadcast = bundle.broadcasts && Object.hasOwn(bundle.broadcasts, id) ? bundle.broadcasts[id]! : undefined;
  if (broadcast) return { workflow: broadcastWorkflow(broadcast), heading: broadcastLines(broadcast) };
  const workflows = Object.keys(bundle.workflows).sort();
  const broadcasts = Object.keys(bundle.broadcasts ?? {}).sort();
  const guess = closest(id, [...workflows, ...broadcasts]);
  throw new UsageError(
    `no workflow or broadcast "${id}"${guess ? `; did you mean "${guess}"?` : ''} (workflows: ${workflows.join(', ') || 'none'}; broadcasts: ${broadcasts.join(', ') || 'none'})`,
  );
}

export async function graphCommand(workflow: string, flags: { format: string; dir: string; bundle?: string; out?: string }): Promise<number> {
  const format = FORMATS.find((f) => f === flags.format);
  if (!format) throw new UsageError(`--format "${flags.format}" is not one of: ${FORMATS.join(', ')}`);
  const bundle = await bundleFor(flags);
  if (!bundle) return EXIT.problems;
  const found = graphable(bundle, workflow);
  const output = format === 'svg' ? workflowSvg(found.workflow, found) : workflowMermaid(found.workflow, found);
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
