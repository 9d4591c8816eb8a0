/**
 * `herald/testing`: scenario tests for notification workflows, in virtual time, on the runtime's own engine.
 * No database, no network, no test framework: `herald test` runs `*.scenario.ts` files with this alone.
 */
export { simulate, type Simulation, type SimInput, type SentEntry } from './simulate.ts';
export { scenario, type ScenarioOptions, type ScenarioBody, type ScenarioDefinition } from './scenario.ts';
export { expect, ScenarioAssertionError, type Matchers, type PartialDeep } from './expect.ts';
export { formatTimeline, type TimelineEntry } from './timeline.ts';
export { formatOffset } from './offset.ts';
export { SimulationSetupError, DEFAULT_START, type SimulateOptions, type SimUser, type SimPreferences } from './options.ts';
export type { SimMessage } from './messages.ts';
