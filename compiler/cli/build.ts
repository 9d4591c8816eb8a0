/** `herald build [dir] --out FILE`: check, then write the deterministic bundle. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { canonicalJson } from '../bundle/canonical.ts';
import { buildProject } from '../build.ts';
import { EXIT } from './exit.ts';
import { outputOptions, reportDiagnostics } from './output.ts';

export async function buildCommand(dir: string, flags: { out: string; json?: boolean }): Promise<number> {
  const result = await buildProject(dir);
  const options = outputOptions(flags);
  const out = resolve(flags.out);
  if (result.bundle) {
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, canonicalJson(result.bundle));
  }
  const summary = result.bundle ? { out: flags.out, version: result.bundle.version, workflows: Object.keys(result.bundle.workflows).length } : {};
  reportDiagnostics(result.diagnostics, options, summary);
  if (!options.json && result.bundle) {
    process.stderr.write(
      `✓ wrote ${flags.out} (${result.bundle.version.slice(0, 19)}…, ${Object.keys(result.bundle.workflows).length} workflows, ${Math.round(result.timings.totalMs)} ms)\n`,
    );
  }
  return result.bundle ? EXIT.ok : EXIT.problems;
}
