/**
 * Runs one registered scenario against a compiled bundle and reports it as plain JSON (it crosses a process
 * boundary): pass or fail, the failing line, the expected and actual values, and the timeline as text.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { Bundle, JsonValue } from '../bundle/schema.ts';
import { formatValue, type ScenarioAssertionError } from './expect.ts';
import { SimulationSetupError } from './options.ts';
import type { ScenarioDefinition } from './scenario.ts';
import { simulate, type Simulation } from './simulate.ts';
import { formatTimeline } from './timeline.ts';

export interface ScenarioFailure {
  message: string;
  /** The matcher that failed (`toMatchObject`), absent for other errors. */
  matcher?: string;
  expected?: string;
  actual?: string;
  /** Where in the scenario file, when the stack says. */
  line?: number;
  source?: string;
}

export interface ScenarioResult {
  name: string;
  /** The scenario file, relative to the working directory. */
  file: string;
  workflow: string;
  ok: boolean;
  ms: number;
  failure?: ScenarioFailure;
  /** The timeline, one aligned line per entry (empty when the simulation could not start). */
  timeline: string[];
}

const BODY_TIMEOUT_MS = 10_000;

/** The trigger's data: given, else the trigger event's first example (events carry examples for this). */
function triggerData(bundle: Bundle, def: ScenarioDefinition): Record<string, JsonValue> {
  if (def.options.data) return def.options.data;
  const workflow = bundle.workflows[def.options.workflow];
  const event = workflow?.trigger.type === 'event' ? bundle.events[workflow.trigger.event] : undefined;
  const example = event?.examples[0];
  if (example !== undefined && typeof example === 'object' && example !== null && !Array.isArray(example)) return example;
  if (workflow?.trigger.type === 'schedule') return {};
  throw new SimulationSetupError(`scenario "${def.name}" gives no data and event "${event?.name ?? '?'}" has no example to default to: pass data`);
}

/** The line of the scenario file in the error's stack (tsx maps it back to the TypeScript source). */
function locate(error: unknown, file: string): { line?: number; source?: string } {
  const stack = error instanceof Error ? (error.stack ?? '') : '';
  const url = pathToFileURL(file).href;
  for (const frame of stack.split('\n')) {
    const at = frame.indexOf(url) >= 0 ? frame.indexOf(url) + url.length : frame.indexOf(file) >= 0 ? frame.indexOf(file) + file.length : -1;
    if (at < 0) continue;
    const match = /^(?:\?[^:]*)?:(\d+):\d+/.exec(frame.slice(at));
    if (!match) continue;
    const line = Number(match[1]);
    try {
      return { line, source: readFileSync(file, 'utf8').split('\n')[line - 1]?.trim() };
    } catch {
      return { line };
    }
  }
  return {};
}

/**
 * By name, not `instanceof`: a scenario file may load `herald/testing` through another path (a symlinked
 * install) and so get its own copy of the error classes.
 */
function isAssertion(error: unknown): error is ScenarioAssertionError {
  return error instanceof Error && error.name === 'ScenarioAssertionError' && 'matcher' in error;
}

/** Errors of ours explain themselves; anything else keeps its class name (a TypeError in the body, say). */
const OWN_ERRORS = new Set(['Error', 'SimulationSetupError', 'DurationError']);

function failureOf(error: unknown, file: string): ScenarioFailure {
  const place = locate(error, file);
  if (isAssertion(error)) {
    return { message: error.message, matcher: error.matcher, expected: formatValue(error.expected), actual: formatValue(error.actual), ...place };
  }
  const message = error instanceof Error ? `${OWN_ERRORS.has(error.name) ? '' : `${error.name}: `}${error.message}` : String(error);
  return { message, ...place };
}

/**
 * @param file absolute path of the scenario file (to point at the failing line)
 * @param display the file as reports show it
 */
export async function runScenario(
  bundle: Bundle,
  def: ScenarioDefinition,
  file: string,
  display = file,
): Promise<{ result: ScenarioResult; sim: Simulation | null }> {
  const started = performance.now();
  const base = { name: def.name, file: display, workflow: def.options.workflow };
  let sim: Simulation | null = null;
  try {
    const { workflow, data: _data, ...rest } = def.options;
    sim = simulate(bundle, workflow, { ...rest, data: triggerData(bundle, def) });
    const body = Promise.resolve(def.body(sim));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the scenario did not finish within ${BODY_TIMEOUT_MS} ms`)), BODY_TIMEOUT_MS);
    });
    await Promise.race([body, timeout]).finally(() => clearTimeout(timer));
    return { result: { ...base, ok: true, ms: performance.now() - started, timeline: timelineOf(sim) }, sim };
  } catch (error) {
    return { result: { ...base, ok: false, ms: performance.now() - started, failure: failureOf(error, file), timeline: timelineOf(sim) }, sim };
  }
}

const timelineOf = (sim: Simulation | null) => (sim ? formatTimeline(sim.timeline()).split('\n') : []);
