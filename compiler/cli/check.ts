/** `herald check [dir]`: every problem in the notifications, no output file. */
import { buildProject } from '../build.ts';
import { EXIT } from './exit.ts';
import { outputOptions, reportDiagnostics } from './output.ts';

export async function checkCommand(dir: string, flags: { json?: boolean }): Promise<number> {
  const result = await buildProject(dir);
  const options = outputOptions(flags);
  reportDiagnostics(result.diagnostics, options, { files: result.files.length });
  if (!options.json && result.bundle) {
    process.stderr.write(
      `✓ ${result.files.length} files, ${Object.keys(result.bundle.workflows).length} workflows checked (${Math.round(result.timings.totalMs)} ms)\n`,
    );
  }
  return result.bundle ? EXIT.ok : EXIT.problems;
}
