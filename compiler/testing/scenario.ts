/**
 * `scenario(name, { workflow, user, data, … }, (sim) => { … })` declares a scenario the way `it(...)`
 * declares a test: calling it at the top of a `*.scenario.ts` file registers the scenario; `herald test`
 * (or any runner) imports the file, then runs what it registered against the compiled bundle. The file
 * itself never needs the bundle, so it stays a plain module with no build step.
 */
import type { SimulateOptions } from './options.ts';
import type { Simulation } from './simulate.ts';

export type ScenarioOptions = Omit<SimulateOptions, 'data'> & {
  /** The workflow id, as in `workflow('onboarding', …)`. */
  workflow: string;
  /** The trigger's data; default: the first example of the trigger event (`event(…, { examples })`). */
  data?: SimulateOptions['data'];
};

export type ScenarioBody = (sim: Simulation) => void | Promise<void>;

export interface ScenarioDefinition {
  name: string;
  options: ScenarioOptions;
  body: ScenarioBody;
}

// On globalThis rather than in a module variable: a scenario file that reaches this module through another
// specifier (`herald/testing`, a relative path, a symlinked install) still registers where the runner looks.
const REGISTRY = Symbol.for('herald.testing.scenarios');
type Registry = { [REGISTRY]?: ScenarioDefinition[] };

function registry(): ScenarioDefinition[] {
  const g = globalThis as Registry;
  return (g[REGISTRY] ??= []);
}

export function scenario(name: string, options: ScenarioOptions, body: ScenarioBody): ScenarioDefinition {
  if (typeof name !== 'string' || name.trim() === '') throw new TypeError('scenario(name, options, body): name must be a non-empty string');
  if (typeof options?.workflow !== 'string') throw new TypeError(`scenario("${name}"): options.workflow must name a workflow`);
  if (typeof body !== 'function') throw new TypeError(`scenario("${name}"): body must be a function of the simulation`);
  const definition = { name, options, body };
  registry().push(definition);
  return definition;
}

/** Everything registered since the last call, and forgets it: the runner calls this after importing each file. */
export function takeRegisteredScenarios(): ScenarioDefinition[] {
  return registry().splice(0);
}
