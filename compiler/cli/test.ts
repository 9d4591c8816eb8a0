/**
 * `herald test [dir]`: compile the folder, then run its scenario files (`*.scenario.ts`) in virtual time on
 * the runtime's engine (compiler/testing). Exit 0 when every scenario passes, 1 when one fails or the folder
 * does not compile (or holds no scenario), 2 on bad usage (a folder that does not exist: buildProject's
 * UsageError, mapped by main.ts).
 */
import { resolve } from 'node:path';
import { buildProject } from '../build.ts';
import { findScenarioFiles } from '../testing/discover.ts';
import { formatFailure, formatResultLine, formatSummary } from '../testing/report.ts';
import type { ScenarioResult } from '../testing/run-scenario.ts';
import { runScenarioFiles } from '../testing/runner.ts';
import { EXIT } from './exit.ts';
import { outputOptions, reportDiagnostics } from './output.ts';

export async function testCommand(dir: string, flags: { json?: boolean }): Promise<number> {
  const options = outputOptions(flags);
  const build = await buildProject(dir);
  if (!build.bundle) {
    reportDiagnostics(build.diagnostics, options, { scenarios: [] });
    if (!options.json) process.stderr.write(`✗ "${dir}" does not compile: no scenario ran\n`);
    return EXIT.problems;
  }
  const cwd = process.cwd();
  const files = findScenarioFiles(resolve(cwd, dir));
  if (files.length === 0) {
    const message = `no scenario files (*.scenario.ts) under "${dir}"`;
    if (options.json) process.stdout.write(`${JSON.stringify({ ok: false, error: message, scenarios: [] }, null, 2)}\n`);
    else process.stderr.write(`✗ ${message}\n`);
    return EXIT.problems;
  }
  // Warnings do not stop the scenarios, but are worth seeing.
  if (!options.json && build.diagnostics.length) reportDiagnostics(build.diagnostics, options);
  let results: ScenarioResult[];
  try {
    results = await runScenarioFiles(files, build.bundle, cwd);
  } catch (error) {
    // The child crashed or timed out: a problem in the scenarios (an endless loop), not a usage error.
    const message = error instanceof Error ? error.message : String(error);
    if (options.json) process.stdout.write(`${JSON.stringify({ ok: false, error: message, scenarios: [] }, null, 2)}\n`);
    else process.stderr.write(`✗ ${message}\n`);
    return EXIT.problems;
  }
  const ok = results.every((r) => r.ok);
  if (options.json) {
    const summary = { passed: results.filter((r) => r.ok).length, failed: results.filter((r) => !r.ok).length };
    process.stdout.write(`${JSON.stringify({ ok, ...summary, bundle: build.bundle.version, diagnostics: build.diagnostics, scenarios: results }, null, 2)}\n`);
  } else {
    for (const r of results) process.stdout.write(`${formatResultLine(r)}\n`);
    const failures = results.filter((r) => !r.ok);
    if (failures.length) process.stdout.write(`\n${failures.map(formatFailure).join('\n\n')}\n`);
    process.stdout.write(`\n${formatSummary(results)}\n`);
  }
  return ok ? EXIT.ok : EXIT.problems;
}
