/**
 * `herald doctor [--bundle FILE] [--json]`: checks a deployment's configuration against reality
 * (runtime/doctor/checks.ts), one line per check with its fix. Exit 0 when every check passes, 1 otherwise.
 */
import { EXIT } from './exit.ts';

export async function doctorCommand(flags: { bundle?: string; json?: boolean }, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const { runDoctor } = await import('../../runtime/doctor/checks.ts');
  const { readBundleFile } = await import('../../runtime/bundles.ts');
  const path = flags.bundle ?? env.HERALD_BUNDLE ?? 'dist/bundle.json';
  let bundle = null;
  let bundleProblem: string | undefined;
  try {
    bundle = await readBundleFile(path);
  } catch (error) {
    bundleProblem = `${path}: ${error instanceof Error ? error.message : String(error)}`;
  }
  const checks = await runDoctor({ env, bundle, ...(bundleProblem ? { bundleProblem } : {}) });
  const ok = checks.every((c) => c.ok);
  if (flags.json) process.stdout.write(`${JSON.stringify({ ok, checks }, null, 2)}\n`);
  else {
    const width = Math.max(...checks.map((c) => c.name.length));
    for (const c of checks)
      process.stdout.write(`${c.ok ? 'ok  ' : 'FAIL'}  ${c.name.padEnd(width)}  ${c.detail}${c.fix ? `\n      ${' '.repeat(width)}  fix: ${c.fix}` : ''}\n`);
  }
  return ok ? EXIT.ok : EXIT.problems;
}
