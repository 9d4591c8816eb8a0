/**
 * Imports scenario files one at a time and runs what each registered: the loop shared by `herald test`'s
 * child process and the runtime parity test. A file that fails to import, or registers nothing, is reported
 * as a failure of its own; the other files still run.
 */
import { relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Bundle } from '../bundle/schema.ts';
import { runScenario, type ScenarioResult } from './run-scenario.ts';
import { takeRegisteredScenarios, type ScenarioDefinition } from './scenario.ts';
import type { Simulation } from './simulate.ts';

export interface LoadedScenario {
  file: string;
  display: string;
  definition: ScenarioDefinition;
}

/** Imports each file and returns its scenarios, plus a failed result for each file that cannot be used. */
export async function loadScenarios(files: string[], cwd: string): Promise<{ scenarios: LoadedScenario[]; problems: ScenarioResult[] }> {
  const scenarios: LoadedScenario[] = [];
  const problems: ScenarioResult[] = [];
  takeRegisteredScenarios();
  for (const file of files) {
    const display = relative(cwd, file).split('\\').join('/');
    const problem = (message: string): ScenarioResult => ({
      name: `(${display})`,
      file: display,
      workflow: '',
      ok: false,
      ms: 0,
      failure: { message },
      timeline: [],
    });
    try {
      await import(pathToFileURL(file).href);
    } catch (error) {
      takeRegisteredScenarios();
      problems.push(problem(`the file failed to load: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`));
      continue;
    }
    const registered = takeRegisteredScenarios();
    if (registered.length === 0) problems.push(problem('the file registers no scenario: call scenario(name, options, body) at its top level'));
    for (const definition of registered) scenarios.push({ file, display, definition });
  }
  return { scenarios, problems };
}

/** Runs loaded scenarios in order; a name used twice fails the second (reports must name one scenario). */
export async function runLoaded(
  bundle: Bundle,
  loaded: LoadedScenario[],
  onResult?: (result: ScenarioResult, sim: Simulation | null) => void,
): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = [];
  const names = new Set<string>();
  for (const { file, display, definition } of loaded) {
    if (names.has(definition.name)) {
      results.push({
        name: definition.name,
        file: display,
        workflow: definition.options.workflow,
        ok: false,
        ms: 0,
        failure: { message: 'another scenario already has this name' },
        timeline: [],
      });
      continue;
    }
    names.add(definition.name);
    const { result, sim } = await runScenario(bundle, definition, file, display);
    onResult?.(result, sim);
    results.push(result);
  }
  return results;
}
